import { summarizeGaps } from '@app/contract';
import { ClientStats, summarize } from './client-stats.js';

describe('summarizeGaps', () => {
  it('reports nearest-rank percentiles and the maximum', () => {
    const gaps = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(summarizeGaps(gaps)).toEqual({ count: 100, p50: 50, p99: 99, max: 100 });
    expect(summarizeGaps([7])).toEqual({ count: 1, p50: 7, p99: 7, max: 7 });
  });

  it('reports no figures rather than zeros when nothing was measured', () => {
    expect(summarizeGaps([])).toEqual({ count: 0, p50: null, p99: null, max: null });
  });
});

describe('summarize', () => {
  it('sums every virtual client and keeps the two kinds of gap apart', () => {
    const a = new ClientStats();
    const b = new ClientStats();
    Object.assign(a, {
      connections: 2,
      reconnects: 1,
      failedAttempts: 2,
      framesReceived: 10,
      created: 5,
      sent: 6,
      resent: 1,
      completed: 5,
    });
    Object.assign(b, { connections: 1, failedAttempts: 1, framesReceived: 4, created: 2, sent: 2, completed: 1, refused: 3 });
    a.gapsAfterDrain.push({ ms: 4, server: 'pod-a' });
    b.gapsAfterFailure.push({ ms: 180, server: 'pod-b' });
    a.stream.received = 3;
    a.stream.unrecoverable = 2;
    a.stream.latency.record(12);
    a.stream.reached('prices', 9);
    b.stream.reached('prices', 7);
    Object.assign(b.stream, { publishCreated: 4, publishAcked: 3, publishDuplicates: 1, gaps: 2, unrecoverable: 1, duplicates: 5 });
    // Follows no channel (a publisher): not counted per subscriber.
    const c = new ClientStats();
    expect(summarize([a, b, c], { requests: 1, publishes: 1 }, true)).toEqual({
      clients: 3,
      connections: 3,
      reconnects: 1,
      failedAttempts: 3,
      reconnectGapMs: {
        afterDrain: { count: 1, p50: 4, p99: 4, max: 4 },
        afterDrainByServer: { 'pod-a': { count: 1, p50: 4, p99: 4, max: 4 } },
        afterFailure: { count: 1, p50: 180, p99: 180, max: 180 },
        afterFailureByServer: { 'pod-b': { count: 1, p50: 180, p99: 180, max: 180 } },
      },
      frames: { received: 14, seqGaps: 0 },
      requests: { created: 7, sent: 8, resent: 1, completed: 6, duplicates: 0, outstanding: 1, refused: 3 },
      stream: {
        published: { created: 4, acked: 3, duplicates: 1, outstanding: 1, refused: 0 },
        received: 3,
        duplicates: 5,
        gaps: 2,
        unrecoverable: 3,
        unrecoverablePerSubscriber: { min: 1, max: 2 },
        latencyMs: { p50: 12, p99: 12, max: 12 },
        maxStallMs: 0,
        feedStalls: { count: 0, totalMs: 0, open: 0 },
        lastOffset: { prices: { min: 7, max: 9 } },
      },
    });
  });

  it('counts feed stalls once per channel until the feed is back, a stall still open at exit up to the summary', () => {
    const a = new ClientStats();
    const b = new ClientStats();
    a.stream.feedStopped('prices', 1_000);
    a.stream.feedStopped('prices', 1_100);
    a.stream.feedResumed('prices', 1_250);
    a.stream.feedResumed('prices', 9_000);
    const openedAt = performance.now() - 500;
    b.stream.feedStopped('prices', openedAt);
    const { feedStalls } = summarize([a, b], { requests: 0, publishes: 0 }, true).stream!;
    expect(feedStalls.count).toBe(2);
    expect(feedStalls.open).toBe(1);
    expect(feedStalls.totalMs).toBeGreaterThanOrEqual(250 + 500);
    expect(feedStalls.totalMs).toBeLessThan(250 + 500 + 1_000);
  });

  it('reports loss figures as unavailable, not zero, in the text dialect', () => {
    const summary = summarize([new ClientStats()], { requests: 0, publishes: 0 }, false);
    expect(summary.frames.seqGaps).toBeNull();
    expect(summary.requests).toBeNull();
    expect(summary.stream).toBeNull();
  });
});
