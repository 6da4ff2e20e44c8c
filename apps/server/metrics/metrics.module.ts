import { Module } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';
import { FrameTally } from './frame-tally.js';
import { METRIC_PREFIX } from './metric-names.js';
import { MetricsController } from './metrics.controller.js';
import { ServerMetrics } from './server-metrics.js';

const SECONDS_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Stream delivery is meant to take milliseconds: finer buckets below 100 ms. */
const STREAM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A metric of prom-client's default registry, created once per process (tests build the app more than once). */
function metric<M extends Counter | Gauge | Histogram>(name: string, create: (fullName: string) => M): M {
  const fullName = `${METRIC_PREFIX}_${name}`;
  return (register.getSingleMetric(fullName) as M | undefined) ?? create(fullName);
}

/** Frame counts, per process like the registry: every app built in it counts into the same ones. */
const FRAMES_RECEIVED = new FrameTally();
const FRAMES_SENT = new FrameTally();

/** A counter by frame type fed from `tally` when scraped. */
function tallied(name: string, help: string, tally: FrameTally): void {
  metric(
    name,
    (fullName) =>
      new Counter({
        name: fullName,
        help,
        labelNames: ['type'],
        collect() {
          tally.flushInto(this);
        },
      }),
  );
}

/**
 * `/metrics` in the Prometheus text format, straight on `prom-client`: Node's default process
 * metrics and the service's own, all prefixed `graceful_`, with bounded labels only (no
 * per-client or per-channel label). `@willsoto/nestjs-prometheus` would do the wiring, but it is
 * CommonJS requiring `@nestjs/common`, which is ESM-only in Nest 12: Node ≥ 20.19 loads that,
 * Jest's module runtime does not, and in-process tests could no longer build the app.
 */
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: ServerMetrics,
      useFactory: () => {
        if (!register.getSingleMetric(`${METRIC_PREFIX}_process_cpu_seconds_total`)) collectDefaultMetrics({ prefix: `${METRIC_PREFIX}_` });
        tallied('frames_received_total', 'Frames received from clients by type', FRAMES_RECEIVED);
        tallied('frames_sent_total', 'Frames sent to clients by type', FRAMES_SENT);
        return new ServerMetrics({
          connections: metric('connections', (name) => new Gauge({ name, help: 'Open WebSocket connections', labelNames: ['dialect'] })),
          upgrades: metric(
            'upgrades_total',
            (name) => new Counter({ name, help: 'WebSocket upgrade requests by outcome', labelNames: ['outcome'] }),
          ),
          framesReceived: FRAMES_RECEIVED,
          framesSent: FRAMES_SENT,
          framesRejected: metric(
            'frames_rejected_total',
            (name) => new Counter({ name, help: 'Client frames answered with an error, by code', labelNames: ['code'] }),
          ),
          connectionsCut: metric(
            'connections_cut_total',
            (name) => new Counter({ name, help: 'Connections the server ended, by reason', labelNames: ['reason'] }),
          ),
          requestsInFlight: metric('requests_in_flight', (name) => new Gauge({ name, help: 'Requests taken and not yet answered' })),
          requestDuration: metric(
            'request_duration_seconds',
            (name) => new Histogram({ name, help: 'Request taken → result sent', buckets: SECONDS_BUCKETS }),
          ),
          drains: metric('drains_total', (name) => new Counter({ name, help: 'Drains run (one per shutdown)' })),
          drainDuration: metric(
            'drain_duration_seconds',
            (name) => new Histogram({ name, help: 'Drain start → last connection closed', buckets: SECONDS_BUCKETS }),
          ),
          drainClientsCut: metric(
            'drain_clients_cut_total',
            (name) => new Counter({ name, help: 'Connections cut at the drain deadline' }),
          ),
          publishDuration: metric(
            'stream_publish_duration_seconds',
            (name) =>
              new Histogram({ name, help: 'Publish taken → answered, by outcome', labelNames: ['outcome'], buckets: STREAM_BUCKETS }),
          ),
          fanoutLag: metric(
            'stream_fanout_lag_seconds',
            (name) =>
              new Histogram({ name, help: 'Live entry received from the backend → handed to a subscriber', buckets: STREAM_BUCKETS }),
          ),
          backendErrors: metric(
            'stream_backend_errors_total',
            (name) =>
              new Counter({
                name,
                help: 'Stream backend calls that failed (unreachable or too slow), by operation',
                labelNames: ['operation'],
              }),
          ),
          backendUp: metric(
            'stream_backend_up',
            (name) => new Gauge({ name, help: '1 while the stream backend is reachable, 0 while it is not' }),
          ),
          historyBytes: metric(
            'stream_history_bytes',
            (name) =>
              new Gauge({
                name,
                help: 'History and remembered publish ids held by this process (memory backend), as HISTORY_MAX_BYTES counts them',
              }),
          ),
          historyChannels: metric(
            'stream_history_channels',
            (name) => new Gauge({ name, help: 'Channels this process keeps state for (memory backend)' }),
          ),
          replayedBytes: metric(
            'stream_replayed_bytes_total',
            (name) =>
              new Counter({ name, help: 'History sent to subscribers, bytes of frames (each connection within REPLAY_BYTES_PER_SEC)' }),
          ),
          historyEvicted: metric(
            'stream_history_evicted_total',
            (name) => new Counter({ name, help: 'History entries evicted to keep within HISTORY_MAX_BYTES (memory backend)' }),
          ),
        });
      },
    },
  ],
  exports: [ServerMetrics],
})
export class MetricsModule {}
