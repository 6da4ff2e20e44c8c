import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { ErrorCode } from '@app/protocol';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Dialect } from '../session/codec/index.js';
import type { CutReason, SessionMetrics } from '../session/session-metrics.js';
import { METRIC, type UpgradeOutcome } from './metric-names.js';

/** The service's own metrics, recorded through named methods so callers never touch prom-client. */
@Injectable()
export class ServerMetrics implements SessionMetrics {
  constructor(
    @InjectMetric(METRIC.connections) private readonly connections: Gauge<'dialect'>,
    @InjectMetric(METRIC.upgrades) private readonly upgrades: Counter<'outcome'>,
    @InjectMetric(METRIC.framesReceived) private readonly framesReceived: Counter<'type'>,
    @InjectMetric(METRIC.framesSent) private readonly framesSent: Counter<'type'>,
    @InjectMetric(METRIC.framesRejected) private readonly framesRejected: Counter<'code'>,
    @InjectMetric(METRIC.connectionsCut) private readonly connectionsCut: Counter<'reason'>,
    @InjectMetric(METRIC.requestsInFlight) private readonly requestsInFlight: Gauge,
    @InjectMetric(METRIC.requestDuration) private readonly requestDuration: Histogram,
    @InjectMetric(METRIC.drains) private readonly drains: Counter,
    @InjectMetric(METRIC.drainDuration) private readonly drainDuration: Histogram,
    @InjectMetric(METRIC.drainClientsCut) private readonly drainClientsCut: Counter,
  ) {}

  connectionOpened(dialect: Dialect): void {
    this.connections.inc({ dialect });
  }

  connectionClosed(dialect: Dialect): void {
    this.connections.dec({ dialect });
  }

  upgrade(outcome: UpgradeOutcome): void {
    this.upgrades.inc({ outcome });
  }

  frameReceived(type: string): void {
    this.framesReceived.inc({ type });
  }

  frameSent(type: string): void {
    this.framesSent.inc({ type });
  }

  rejected(code: ErrorCode): void {
    this.framesRejected.inc({ code });
  }

  cut(reason: CutReason): void {
    this.connectionsCut.inc({ reason });
  }

  requestStarted(): (answered: boolean) => void {
    this.requestsInFlight.inc();
    const stopTimer = this.requestDuration.startTimer();
    return (answered) => {
      this.requestsInFlight.dec();
      if (answered) stopTimer();
    };
  }

  drained(durationMs: number, clientsCut: number): void {
    this.drains.inc();
    this.drainDuration.observe(durationMs / 1000);
    this.drainClientsCut.inc(clientsCut);
    if (clientsCut > 0) this.connectionsCut.inc({ reason: 'drain_deadline' }, clientsCut);
  }
}
