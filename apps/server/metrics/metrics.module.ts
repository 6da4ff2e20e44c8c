import { Module } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { METRIC, METRIC_PREFIX } from './metric-names.js';
import { ServerMetrics } from './server-metrics.js';

const SECONDS_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * `/metrics` in the Prometheus text format (prom-client through `@willsoto/nestjs-prometheus`):
 * Node's default process metrics and the service's own, all prefixed `graceful_`, with bounded
 * labels only (no per-client or per-channel label).
 */
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      customMetricPrefix: METRIC_PREFIX,
      defaultMetrics: { enabled: true, config: { prefix: `${METRIC_PREFIX}_` } },
    }),
  ],
  providers: [
    makeGaugeProvider({ name: METRIC.connections, help: 'Open WebSocket connections', labelNames: ['dialect'] }),
    makeCounterProvider({ name: METRIC.upgrades, help: 'WebSocket upgrade requests by outcome', labelNames: ['outcome'] }),
    makeCounterProvider({ name: METRIC.framesReceived, help: 'Frames received from clients by type', labelNames: ['type'] }),
    makeCounterProvider({ name: METRIC.framesSent, help: 'Frames sent to clients by type', labelNames: ['type'] }),
    makeCounterProvider({ name: METRIC.framesRejected, help: 'Client frames answered with an error, by code', labelNames: ['code'] }),
    makeCounterProvider({ name: METRIC.connectionsCut, help: 'Connections the server ended, by reason', labelNames: ['reason'] }),
    makeGaugeProvider({ name: METRIC.requestsInFlight, help: 'Requests taken and not yet answered' }),
    makeHistogramProvider({ name: METRIC.requestDuration, help: 'Request taken → result sent', buckets: SECONDS_BUCKETS }),
    makeCounterProvider({ name: METRIC.drains, help: 'Drains run (one per shutdown)' }),
    makeHistogramProvider({ name: METRIC.drainDuration, help: 'Drain start → last connection closed', buckets: SECONDS_BUCKETS }),
    makeCounterProvider({ name: METRIC.drainClientsCut, help: 'Connections cut at the drain deadline' }),
    ServerMetrics,
  ],
  exports: [ServerMetrics],
})
export class MetricsModule {}
