import { REDIS_INSTALL_HINT } from '@app/standin';
import { check, type Check, type DrillContext, type ScenarioResult, type Target } from '../drill.context.js';
import { excerpt } from '../log-lines.js';
import { allReached, startStreamClients } from './stream-clients.js';

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
    return { name: 'stream', title: TITLE, notRun: `${reason}; ${REDIS_INSTALL_HINT}, or pass --redis-url`, checks, targets: [], metrics: {}, excerpts: [] };
  }
  const { clients, publishRate, probePeriodMs } = ctx.options;
  const channel = `drill.${Date.now().toString(36)}`;
  ctx.progress.phase(`scenario 6: ${clients} subscribers and a publisher on ${channel}`);
  const { subscribers, publisher } = await startStreamClients(ctx.serviceUrl, channel, clients, publishRate, Math.max(100, Math.min(probePeriodMs, 500)), ctx.timeline);
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
  const published = (await publisher.finish()).stream;
  const key = `gs:{${channel}}:s`;
  const top = Number(await redis.admin.get(`gs:{${channel}}:top`));
  // Generous: the slowest subscriber may still be replaying after the last move.
  await allReached(subscribers, top, from, 30_000);
  const received = (await subscribers.finish()).stream;
  const ids = (await redis.admin.xrange(key, '-', '+')).map(([, fields]) => fields[fields.indexOf('id') + 1] ?? '');
  const distinct = new Set(ids);
  const numbers = ids.map((id) => Number(/-p(\d+)$/.exec(id)?.[1])).sort((a, b) => a - b);
  const contiguous = numbers.every((n, index) => n === index + 1);

  const checks = [
    check(
      'every confirmed publish is in the stream exactly once',
      published !== null && published.published.outstanding === 0 && published.published.acked === published.published.created &&
        ids.length === top && distinct.size === top && top === published.published.created && contiguous,
      `publisher created ${published?.published.created}, confirmed ${published?.published.acked}, outstanding ${published?.published.outstanding}; ` +
        `stream holds ${ids.length} entries, ${distinct.size} distinct ids, top offset ${top}`,
    ),
    check('no publish lost or doubled (ids 1…N once each, in order)', contiguous && numbers.length === top, `ids ${numbers[0]}…${numbers.at(-1)} over ${numbers.length} entries`),
    check(
      'every subscriber received every offset, in order, to the last (gaps 0, unrecoverable 0)',
      received !== null && received.gaps === 0 && received.unrecoverable === 0 && received.lastOffset[channel]?.min === top,
      `gaps ${received?.gaps}, unrecoverable ${received?.unrecoverable}, slowest subscriber at ${received?.lastOffset[channel]?.min} of ${top}; ` +
        `${received?.received} entries delivered, ${received?.duplicates} duplicates dropped`,
    ),
    check('the gracefully deleted pod exited 0 within its grace period', termination.exit.code === 0 && !termination.killed, JSON.stringify(termination.exit)),
  ];
  const floor = ctx.connectFloor?.p99;
  const latencyP99 = received?.latencyMs.p99 ?? null;
  const targets: Target[] = [
    {
      name: 'publish → receipt p99 across the moves',
      goal: `< ${LATENCY_TARGET_MS} ms`,
      measured: latencyP99 === null ? 'not measured' : `${latencyP99} ms${floor ? ` (${(latencyP99 / floor).toFixed(1)}× the connection floor p99 ${floor} ms)` : ''}`,
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
    excerpts: [{ source: 'subscribers', lines: excerpt(subscribers.log, [/Stats: .* stream/, /Client summary/], Math.max(0, subscribers.log.lines.length - 4)) }],
  };
}
