import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClientSummary } from '@app/contract';
import type { ClientStats } from '../stats/client-stats.js';

/** Prepended to every client metric name, the default process metrics included (docs/operations.md, "Metrics"). */
export const CLIENT_METRIC_PREFIX = 'graceful_client';

/** What the metrics read: the fleet's live counters. `FleetService` is one. */
export interface FleetView {
  readonly stats: ClientStats[];
  readonly connected: number;
  summary(): ClientSummary;
}

const GAP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/**
 * The client's metrics, read from the fleet's own counters when scraped: the virtual clients
 * record nothing twice and know nothing of Prometheus. What the text dialect cannot measure
 * (requests, sequence gaps, streams) is reset, which prom-client reports as 0 for a metric
 * without labels: read those only from a client on `graceful.v2`.
 */
export class ClientMetrics {
  private readonly registry = new Registry();
  /** The fleet's summary for the scrape under way, shared by every metric's collect(). */
  private summary: ClientSummary | undefined;

  constructor(private readonly fleet: FleetView) {
    collectDefaultMetrics({ register: this.registry, prefix: `${CLIENT_METRIC_PREFIX}_` });
    defineMetrics(this.registry, fleet, () => this.summary ?? fleet.summary());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format. */
  async scrape(): Promise<string> {
    this.summary = this.fleet.summary();
    try {
      return await this.registry.metrics();
    } finally {
      this.summary = undefined;
    }
  }
}

function defineMetrics(registry: Registry, fleet: FleetView, current: () => ClientSummary): void {
  const registers = [registry];

  const gauge = (name: string, help: string, read: () => number | null | undefined): void => {
    new Gauge({
      name: `${CLIENT_METRIC_PREFIX}_${name}`,
      help,
      registers,
      collect() {
        const value = read();
        if (value === null || value === undefined) this.reset();
        else this.set(value);
      },
    });
  };
  /** A counter whose total the fleet already keeps: set to it at each scrape. */
  const counter = (name: string, help: string, read: (s: ClientSummary) => number | null | undefined): void => {
    new Counter({
      name: `${CLIENT_METRIC_PREFIX}_${name}`,
      help,
      registers,
      collect() {
        this.reset();
        const value = read(current());
        if (value !== null && value !== undefined) this.inc(value);
      },
    });
  };

  gauge('virtual_clients', 'Virtual clients this process runs', () => fleet.stats.length);
  gauge('connected', 'Virtual clients with a healthy connection now', () => fleet.connected);
  counter('connections_total', 'Connections that reached hello', (s) => s.connections);
  counter('reconnects_total', 'Healthy connections after the first, per virtual client', (s) => s.reconnects);
  counter('failed_attempts_total', 'Connection attempts that never reached hello (refused, reset, timed out)', (s) => s.failedAttempts);
  counter('frames_received_total', 'Frames received from servers', (s) => s.frames.received);
  counter('seq_gaps_total', 'Sequence numbers skipped: frames lost', (s) => s.frames.seqGaps);
  counter('requests_created_total', 'Requests created', (s) => s.requests?.created);
  counter('requests_completed_total', 'Requests answered with a result', (s) => s.requests?.completed);
  counter('requests_resent_total', 'Requests sent again after a connection ended unanswered', (s) => s.requests?.resent);
  counter('requests_duplicate_results_total', 'Results for a request already answered', (s) => s.requests?.duplicates);
  counter('requests_refused_total', 'Requests not created because the outbox was full', (s) => s.requests?.refused);
  gauge('requests_outstanding', 'Requests created and not yet answered', () => current().requests?.outstanding);
  counter('stream_published_total', 'Publishes confirmed by a server', (s) => s.stream?.published.acked);
  counter('stream_received_total', 'Channel entries received (duplicates dropped)', (s) => s.stream?.received);
  counter('stream_gaps_total', 'Channel offsets skipped within an epoch: entries lost', (s) => s.stream?.gaps);
  counter(
    'stream_unrecoverable_total',
    'Re-subscriptions the server answered recovered: false (a loss it told about)',
    (s) => s.stream?.unrecoverable,
  );
  counter(
    'stream_feed_stalls_total',
    "Notices that a server's live feed of a channel stopped (its stream backend unreachable)",
    (s) => s.stream?.feedStalls.count,
  );
  counter('stream_feed_stalled_seconds_total', 'Time channels spent with a stopped live feed, open stalls included', (s) =>
    s.stream === null ? undefined : s.stream.feedStalls.totalMs / 1000,
  );
  gauge('stream_feed_stalls_open', 'Channels whose live feed is stopped now', () => current().stream?.feedStalls.open);

  new Histogram({
    name: `${CLIENT_METRIC_PREFIX}_reconnect_gap_seconds`,
    help: 'Last frame of a connection → hello of the next, by how the old one ended',
    labelNames: ['after'],
    buckets: GAP_BUCKETS,
    registers,
    collect() {
      this.reset();
      // Both series always exist, so a dashboard shows 0 rather than nothing.
      this.zero({ after: 'drain' });
      this.zero({ after: 'failure' });
      for (const stats of fleet.stats) {
        for (const gap of stats.gapsAfterDrain) this.observe({ after: 'drain' }, gap.ms / 1000);
        for (const gap of stats.gapsAfterFailure) this.observe({ after: 'failure' }, gap.ms / 1000);
      }
    },
  });
}
