import { summarizeGaps, type ClientSummary, type GapSummary, type StreamSummary } from '@app/contract';
import { LatencyHistogram } from './latency-histogram.js';
import { StreamStats } from './stream-stats.js';

/** Counters of one virtual client; `summarize` sums them over the fleet. */
export class ClientStats {
  /** Connections that reached a healthy state (`hello`, or open in the text dialect). */
  connections = 0;
  /** Healthy connections after the first. */
  reconnects = 0;
  /** Connection attempts that never became healthy (refused upgrade, reset, no `hello`): inside a gap, not a gap of their own. */
  failedAttempts = 0;
  /** Last frame of the old connection → `hello` of the new, by how the old one ended. */
  readonly gapsAfterDrain: ServerGap[] = [];
  readonly gapsAfterFailure: ServerGap[] = [];
  framesReceived = 0;
  /** Sequence numbers skipped: data lost. */
  seqGaps = 0;
  /** Frames the client could not use (bad JSON, unknown type, seq going backwards, unknown result id). */
  invalidFrames = 0;
  created = 0;
  sent = 0;
  resent = 0;
  completed = 0;
  duplicates = 0;
  refused = 0;
  readonly stream = new StreamStats();
}

/** A reconnect gap, and the server whose connection ended (its `hello`'s `serverId`; '' when it sent none). */
export interface ServerGap {
  ms: number;
  server: string;
}

function summarizeByServer(gaps: ServerGap[]): Record<string, GapSummary> {
  const byServer = new Map<string, number[]>();
  for (const { ms, server } of gaps) {
    const ofServer = byServer.get(server);
    if (ofServer) ofServer.push(ms);
    else byServer.set(server, [ms]);
  }
  return Object.fromEntries([...byServer].map(([server, ms]) => [server, summarizeGaps(ms)]));
}

/** What is still unanswered at exit. */
export interface Outstanding {
  requests: number;
  publishes: number;
}

export function summarize(all: ClientStats[], outstanding: Outstanding, lossMeasurable: boolean): ClientSummary {
  const sum = (pick: (stats: ClientStats) => number): number => all.reduce((total, stats) => total + pick(stats), 0);
  return {
    clients: all.length,
    connections: sum((s) => s.connections),
    reconnects: sum((s) => s.reconnects),
    failedAttempts: sum((s) => s.failedAttempts),
    reconnectGapMs: {
      afterDrain: summarizeGaps(all.flatMap((s) => s.gapsAfterDrain.map((gap) => gap.ms))),
      afterDrainByServer: summarizeByServer(all.flatMap((s) => s.gapsAfterDrain)),
      afterFailure: summarizeGaps(all.flatMap((s) => s.gapsAfterFailure.map((gap) => gap.ms))),
      afterFailureByServer: summarizeByServer(all.flatMap((s) => s.gapsAfterFailure)),
    },
    frames: { received: sum((s) => s.framesReceived), seqGaps: lossMeasurable ? sum((s) => s.seqGaps) : null },
    requests: lossMeasurable
      ? {
          created: sum((s) => s.created),
          sent: sum((s) => s.sent),
          resent: sum((s) => s.resent),
          completed: sum((s) => s.completed),
          duplicates: sum((s) => s.duplicates),
          outstanding: outstanding.requests,
          refused: sum((s) => s.refused),
        }
      : null,
    stream: lossMeasurable
      ? summarizeStreams(
          all.map((s) => s.stream),
          outstanding.publishes,
        )
      : null,
  };
}

function summarizeStreams(all: StreamStats[], outstanding: number): StreamSummary {
  const sum = (pick: (stats: StreamStats) => number): number => all.reduce((total, stats) => total + pick(stats), 0);
  const latency = LatencyHistogram.merge(all.map((s) => s.latency));
  const lastOffset: StreamSummary['lastOffset'] = {};
  for (const stats of all) {
    for (const [channel, offset] of stats.lastOffsets) {
      const seen = lastOffset[channel];
      lastOffset[channel] = seen ? { min: Math.min(seen.min, offset), max: Math.max(seen.max, offset) } : { min: offset, max: offset };
    }
  }
  const told = all.filter((stats) => stats.lastOffsets.size > 0).map((stats) => stats.unrecoverable);
  return {
    published: {
      created: sum((s) => s.publishCreated),
      acked: sum((s) => s.publishAcked),
      duplicates: sum((s) => s.publishDuplicates),
      outstanding,
      refused: sum((s) => s.publishRefused),
    },
    received: sum((s) => s.received),
    duplicates: sum((s) => s.duplicates),
    gaps: sum((s) => s.gaps),
    unrecoverable: sum((s) => s.unrecoverable),
    unrecoverablePerSubscriber: told.length === 0 ? null : { min: Math.min(...told), max: Math.max(...told) },
    latencyMs: { p50: latency.percentile(50), p99: latency.percentile(99), max: latency.max },
    maxStallMs: all.reduce((max, s) => Math.max(max, s.maxStallMs), 0),
    feedStalls: summarizeFeedStalls(all),
    lastOffset,
  };
}

function summarizeFeedStalls(all: StreamStats[]): StreamSummary['feedStalls'] {
  const now = performance.now();
  const summary = { count: 0, totalMs: 0, open: 0 };
  for (const stats of all) {
    const { totalMs, open } = stats.feedStall(now);
    summary.count += stats.feedStalls;
    summary.totalMs += totalMs;
    summary.open += open;
  }
  summary.totalMs = Math.round(summary.totalMs);
  return summary;
}
