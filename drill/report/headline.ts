import type { MetricValue, ScenarioResult } from '../drill.context.js';

/** One row of the report's comparison with the seed report. */
export interface HeadlineMetric {
  metric: string;
  seedClaim: string;
  /** What the original program did, from its report's logs and its code (never measured by this drill). */
  original: string;
  thisRun: string;
  value: MetricValue;
}

function metric(results: ScenarioResult[], scenario: string, name: string): number | undefined {
  const value = results.find((result) => result.name === scenario)?.metrics[name];
  return typeof value === 'number' ? value : undefined;
}

function defined(values: (number | undefined)[]): number[] {
  return values.filter((value): value is number => value !== undefined);
}

/** The seed report's four claims (and its ~4 s without data), each set against this run's measurement. */
export function headlineMetrics(results: ScenarioResult[]): HeadlineMetric[] {
  const gaps = defined([metric(results, 'reconnect', 'reconnectGapMs'), metric(results, 'rolling', 'reconnectGapP99Ms')]);
  const gap = gaps.length > 0 ? Math.max(...gaps) : undefined;
  const dataGap = metric(results, 'reconnect', 'dataGapMs');
  const interval = metric(results, 'reconnect', 'dataIntervalMs');
  const seqGaps = defined([metric(results, 'reconnect', 'seqGaps'), metric(results, 'rolling', 'seqGaps')]);
  const created = defined(['reconnect', 'rolling'].map((name) => metric(results, name, 'requestsCreated')));
  const completed = defined(['reconnect', 'rolling'].map((name) => metric(results, name, 'requestsCompleted')));
  const createdSum = created.reduce((a, b) => a + b, 0);
  const completedSum = completed.reduce((a, b) => a + b, 0);
  const shutdown = metric(results, 'graceful', 'shutdownTotalMs');
  const preStop = metric(results, 'graceful', 'preStopMs');
  const drain = metric(results, 'graceful', 'drainMs');
  const lost = seqGaps.length > 0 ? seqGaps.reduce((a, b) => a + b, 0) : undefined;
  return [
    {
      metric: 'Reconnect time after a drain',
      seedClaim: '< 2 s',
      original: 'a fixed 2 s sleep before reconnecting (its log: "Reconnecting in 2 seconds...")',
      thisRun: gap === undefined ? 'not measured' : `${gap} ms (worst of scenario 3 and scenario 4 p99)`,
      value: gap ?? null,
    },
    {
      metric: 'Time without business data',
      seedClaim: '—',
      original: '~4 s after CLOSE (its log: CLOSE at 07:00:12, next data at 07:00:16)',
      thisRun:
        dataGap === undefined
          ? 'not measured'
          : `${dataGap} ms between the last item on the old pod and the first on the new (data interval ${interval} ms)`,
      value: dataGap ?? null,
    },
    {
      metric: 'Data loss',
      seedClaim: 'zero',
      original: 'not measurable: its frames carry no sequence numbers',
      thisRun:
        lost === undefined
          ? 'not measured'
          : `${lost} frames missing by sequence number; ${createdSum - completedSum} of ${createdSum} requests unanswered (scenarios 2–4)`,
      value: lost ?? null,
    },
    {
      metric: 'Availability',
      seedClaim: '100 %',
      original: 'not measured in its report',
      thisRun:
        createdSum === 0 ? 'not measured' : `${((100 * completedSum) / createdSum).toFixed(2)} % of requests answered (scenarios 2–4)`,
      value: createdSum === 0 ? null : completedSum / createdSum,
    },
    {
      metric: 'Graceful shutdown time',
      seedClaim: '~2 s',
      original: '~2 s in its log (07:00:12 → 07:00:14, to the second); its code sleeps 2 s plus 100 ms per final item (1–10): 2.1–3.0 s',
      thisRun:
        shutdown === undefined
          ? 'not measured'
          : `${shutdown} ms from deletion to exit = preStop ${preStop} ms + SIGTERM→exit ${shutdown - (preStop ?? 0)} ms (drain ${drain} ms)`,
      value: shutdown ?? null,
    },
  ];
}
