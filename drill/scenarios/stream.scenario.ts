import { REDIS_INSTALL_HINT } from '@app/standin';
import { check, type Check, type DrillContext, type ScenarioResult, type Target } from '../drill.context.js';
import { lastStats, summaryLine } from '../log-lines.js';
import { settleStream, startStreamClients } from './stream-clients.js';

const TITLE = 'Shared channel on Redis across a rolling update, a SIGKILL and a graceful delete';
/** Publish → receipt goal, shown against the connection floor, never failing the run. */
const LATENCY_TARGET_MS = 50;

/**
 * Scenario 6: a publisher and the fleet on one channel whose history lives in Redis, while the
 * replicas are rolled, one is SIGKILLed and one deleted gracefully. Every confirmed publish must
 * be in the stream exactly once, and every subscriber must have every offset to the last.
 */
export async function streamScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const redis = ctx.redis;
  if (!redis?.admin) {
    const reason = redis?.missing ?? 'no Redis';
    const checks: Check[] = ctx.options.requireRedis ? [check('Redis available (--require-redis)', false, reason)] : [];
    return {
      name: 'stream',
      title: TITLE,
      notRun: `${reason}; ${REDIS_INSTALL_HINT}, or pass --redis-url`,
      checks,
      targets: [],
      metrics: {},
      excerpts: [],
    };
  }
  const { clients, publishRate } = ctx.options;
  const channel = `drill.${Date.now().toString(36)}`;
  ctx.progress.phase(`scenario 6: ${clients} subscribers and a publisher on ${channel}`);
  const { subscribers, publisher } = await startStreamClients(ctx, channel);
  const from = subscribers.log.lines.length;

  ctx.progress.phase('scenario 6: rolling update');
  await ctx.deployment.rollingUpdate((step, of) => ctx.progress.phase(`scenario 6: rolling update, replaced ${step}/${of}`));
  await subscribers.allConnected(clients, subscribers.log.lines.length);
  const victim = ctx.deployment.busiest();
  ctx.progress.phase(`scenario 6: SIGKILL ${victim.name}`);
  await ctx.deployment.crashPod(victim);
  await subscribers.allConnected(clients, subscribers.log.lines.length);
  const deleted = ctx.deployment.busiest();
  ctx.progress.phase(`scenario 6: graceful delete of ${deleted.name}`);
  const { termination } = await ctx.deployment.deletePod(deleted);
  await subscribers.allConnected(clients, subscribers.log.lines.length);

  ctx.progress.phase('scenario 6: stopping the publisher, waiting for every subscriber to reach the last entry');
  const { published, received, top, checks: ledger } = await settleStream(redis.admin, channel, { subscribers, publisher }, from);

  const checks = [
    ...ledger,
    check(
      'the gracefully deleted pod exited 0 within its grace period',
      termination.exit.code === 0 && !termination.killed,
      JSON.stringify(termination.exit),
    ),
  ];
  const floor = ctx.connectFloor?.p99;
  const latencyP99 = received?.latencyMs.p99 ?? null;
  const targets: Target[] = [
    {
      name: 'publish → receipt p99 across the moves',
      goal: `< ${LATENCY_TARGET_MS} ms`,
      measured:
        latencyP99 === null
          ? 'not measured'
          : `${latencyP99} ms${floor ? ` (${(latencyP99 / floor).toFixed(1)}× the connection floor p99 ${floor} ms)` : ''}`,
      met: latencyP99 !== null && latencyP99 < LATENCY_TARGET_MS,
    },
    {
      name: 'longest delivery stall of any subscriber during the moves',
      goal: `< ${20 * Math.round(1000 / publishRate)} ms (20 publish intervals)`,
      measured: `${received?.maxStallMs ?? '?'} ms`,
      met: received !== null && received.maxStallMs < 20 * Math.round(1000 / publishRate),
    },
  ];
  return {
    name: 'stream',
    title: TITLE,
    checks,
    targets,
    metrics: {
      channel,
      subscribers: clients,
      publishRatePerS: publishRate,
      entriesPublished: top,
      publishesDeduplicated: published?.published.duplicates ?? null,
      entriesDelivered: received?.received ?? null,
      duplicatesDropped: received?.duplicates ?? null,
      latencyP50Ms: received?.latencyMs.p50 ?? null,
      latencyP99Ms: latencyP99,
      latencyMaxMs: received?.latencyMs.max ?? null,
      maxStallMs: received?.maxStallMs ?? null,
    },
    excerpts: [
      {
        source: 'subscribers',
        lines: [...lastStats(subscribers.log), ...summaryLine(subscribers.log)],
      },
    ],
  };
}
