import type { ErrorCode } from '@app/protocol';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Dialect } from '../session/codec/index.js';
import type { CutReason, SessionMetrics } from '../session/session-metrics.js';
import type { BackendOperation, PublishOutcome, StreamMetrics } from '../streams/stream-metrics.js';
import type { FrameTally } from './frame-tally.js';
import type { UpgradeOutcome } from './metric-names.js';

/** The prom-client metrics behind `ServerMetrics`; `MetricsModule` creates them. */
export interface ServerMetricSet {
  connections: Gauge<'dialect'>;
  upgrades: Counter<'outcome'>;
  /** Tallied here, handed to the `frames_received_total` / `frames_sent_total` counters when scraped. */
  framesReceived: FrameTally;
  framesSent: FrameTally;
  framesRejected: Counter<'code'>;
  connectionsCut: Counter<'reason'>;
  requestsInFlight: Gauge;
  requestDuration: Histogram;
  drains: Counter;
  drainDuration: Histogram;
  drainClientsCut: Counter;
  publishDuration: Histogram<'outcome'>;
  fanoutLag: Histogram;
  backendErrors: Counter<'operation'>;
  backendUp: Gauge;
  historyBytes: Gauge;
  historyChannels: Gauge;
  historyEvicted: Counter;
  replayedBytes: Counter;
}

/** The service's own metrics, recorded through named methods so callers never touch prom-client. */
export class ServerMetrics implements SessionMetrics, StreamMetrics {
  constructor(private readonly m: ServerMetricSet) {}

  connectionOpened(dialect: Dialect): void {
    this.m.connections.inc({ dialect });
  }

  connectionClosed(dialect: Dialect): void {
    this.m.connections.dec({ dialect });
  }

  upgrade(outcome: UpgradeOutcome): void {
    this.m.upgrades.inc({ outcome });
  }

  frameReceived(type: string): void {
    this.m.framesReceived.count(type);
  }

  frameSent(type: string): void {
    this.m.framesSent.count(type);
  }

  rejected(code: ErrorCode): void {
    this.m.framesRejected.inc({ code });
  }

  cut(reason: CutReason): void {
    this.m.connectionsCut.inc({ reason });
  }

  requestStarted(): (answered: boolean) => void {
    this.m.requestsInFlight.inc();
    const stopTimer = this.m.requestDuration.startTimer();
    return (answered) => {
      this.m.requestsInFlight.dec();
      if (answered) stopTimer();
    };
  }

  drained(durationMs: number, clientsCut: number): void {
    this.m.drains.inc();
    this.m.drainDuration.observe(durationMs / 1000);
    this.m.drainClientsCut.inc(clientsCut);
    if (clientsCut > 0) this.m.connectionsCut.inc({ reason: 'drain_deadline' }, clientsCut);
  }

  published(outcome: PublishOutcome, durationMs: number): void {
    this.m.publishDuration.observe({ outcome }, durationMs / 1000);
  }

  fannedOut(lagMs: number): void {
    this.m.fanoutLag.observe(lagMs / 1000);
  }

  backendError(operation: BackendOperation): void {
    this.m.backendErrors.inc({ operation });
  }

  historyStored(bytes: number, channels: number): void {
    this.m.historyBytes.set(bytes);
    this.m.historyChannels.set(channels);
  }

  replayed(bytes: number): void {
    this.m.replayedBytes.inc(bytes);
  }

  historyEvicted(entries: number): void {
    this.m.historyEvicted.inc(entries);
  }

  backendUp(up: boolean): void {
    this.m.backendUp.set(up ? 1 : 0);
  }
}
