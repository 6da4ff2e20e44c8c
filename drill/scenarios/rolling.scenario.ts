import { check, gapTarget, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { step } from '@app/standin';
import { excerpt, lastStats, summaryLine } from '../log-lines.js';
import { startLoadClient } from './load-client.js';
import { GAP_TARGET_MS } from './targets.js';

/** Scenario 4: a rolling update of every replica under load loses nothing. */
export async function rollingScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const { clients, gracePeriodMs } = ctx.options;
  ctx.progress.phase(`scenario 4: connecting ${clients} clients`);
  const client = await startLoadClient(ctx);
  const replaced = ctx.deployment.live();
  const terminations = await ctx.deployment.rollingUpdate((step, of) =>
    ctx.progress.phase(`scenario 4: rolling update, replaced ${step}/${of}`),
  );
  // A stats line written after the last old pod is gone, showing every client back.
  await client.allConnected(clients, client.log.lines.length);
  const summary = await client.finish();

  const drains = replaced.map((pod) => pod.process.log.events('drain_complete')[0]);
  const cut = drains.reduce((sum, drain) => sum + (drain?.cutAtDeadline ?? 0), 0);
  const requests = summary.requests;
  const gap = summary.reconnectGapMs.afterDrain;
  const slowest = Math.max(...terminations.map((termination) => termination.totalMs));
  // Each step drains one old pod; the gaps of the clients it moved show that step's storm.
  const perStep = replaced.map((pod, index) => {
    const { count, p50, p99, max } = summary.reconnectGapMs.afterDrainByServer[pod.name] ?? { count: 0, p50: null, p99: null, max: null };
    return [index + 1, pod.name, count, p50, p99, max];
  });
  return {
    name: 'rolling',
    title: `Rolling update of every replica under load (${clients} clients)`,
    checks: [
      check(
        'every old pod exited 0 within the grace period',
        terminations.every((t) => t.exit.code === 0 && !t.killed && t.totalMs < gracePeriodMs),
        terminations.map((t) => `${t.pod}: ${t.exit.code} in ${t.totalMs} ms`).join('; '),
      ),
      check('every drain logged and no client cut at the deadline', drains.every(Boolean) && cut === 0, `cut ${cut}`),
      check('no sequence gap (no data lost)', summary.frames.seqGaps === 0, `seqGaps=${summary.frames.seqGaps}`),
      check(
        'no request lost',
        requests !== null && requests.outstanding === 0 && requests.completed === requests.created,
        requests ? `created ${requests.created}, completed ${requests.completed}, outstanding ${requests.outstanding}` : 'n/a',
      ),
      check('no result delivered twice', requests?.duplicates === 0, `duplicates suppressed: ${requests?.duplicates}`),
      check('no work refused', requests?.refused === 0, `refused ${requests?.refused}`),
    ],
    targets: [gapTarget(ctx, `reconnect gap p99 over ${summary.reconnects} reconnects`, gap.p99, GAP_TARGET_MS)],
    metrics: {
      clients,
      reconnects: summary.reconnects,
      reconnectsPerClient: Number((summary.reconnects / clients).toFixed(2)),
      failedConnectionAttempts: summary.failedAttempts,
      reconnectGapP50Ms: gap.p50,
      reconnectGapP99Ms: gap.p99,
      reconnectGapMaxMs: gap.max,
      seqGaps: summary.frames.seqGaps,
      framesReceived: summary.frames.received,
      requestsCreated: requests?.created ?? null,
      requestsCompleted: requests?.completed ?? null,
      requestsResent: requests?.resent ?? null,
      duplicatesSuppressed: requests?.duplicates ?? null,
      slowestPodShutdownMs: slowest,
    },
    tables: [
      {
        title: 'Reconnect gap per rolling step (clients the step moved)',
        header: ['step', 'drained pod', 'reconnects', 'p50 ms', 'p99 ms', 'max ms'],
        rows: perStep,
      },
    ],
    excerpts: [
      ...replaced.map((pod) => ({
        source: `server ${pod.name}`,
        lines: excerpt(pod.process.log, [step('drain_started'), step('drain_final_data'), step('drain_complete')]),
      })),
      {
        source: 'load client',
        lines: [...lastStats(client.log), ...summaryLine(client.log)],
      },
    ],
  };
}
