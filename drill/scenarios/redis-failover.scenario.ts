import { hostList, REDIS_INSTALL_HINT, RedisSentinelGroup, step } from '@app/standin';
import { Redis } from 'ioredis';
import { check, type Check, type DrillContext, type ScenarioResult, type Target } from '../drill.context.js';
import { excerpt, summaryLine } from '../log-lines.js';
import { settleStream, startStreamClients, type StreamClients } from './stream-clients.js';

const TITLE = 'Sentinel failover to a lagging replica during a rolling update (PUBLISH_MIN_REPLICAS=1)';
/** How far behind their master the replicas are held. */
const REPLICA_LAG_MS = 300;

/**
 * Scenario 8: the Deployment is moved onto a Sentinel-watched Redis (a config rollout), a
 * publisher and the fleet follow one channel, and while a second rolling update replaces the
 * pods, the master is SIGKILLed and Sentinel promotes one of two replicas held `REPLICA_LAG_MS`
 * behind.
 * With PUBLISH_MIN_REPLICAS=1 the ledger must be exact: every confirmed publish in the channel
 * once, every subscriber with every offset, nobody told of a loss (nothing delivered was taken
 * back: phantoms 0), and the pods follow the new master without a restart.
 */
export async function redisFailoverScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  let group: RedisSentinelGroup;
  try {
    // Two replicas, both behind (as across zones): the sentinels promote the more up to date, and
    // the other follows the new master at once, so confirmations resume without a restart.
    group = await RedisSentinelGroup.start({ replicas: 2, delayed: true });
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]!;
    const checks: Check[] = ctx.options.requireRedis ? [check('Redis available (--require-redis)', false, reason)] : [];
    return {
      name: 'redis-failover',
      title: TITLE,
      notRun: `${reason}; ${REDIS_INSTALL_HINT}`,
      checks,
      targets: [],
      metrics: {},
      excerpts: [],
    };
  }
  const { clients } = ctx.options;
  const channel = `failover.${Date.now().toString(36)}`;
  const admin = new Redis({ sentinels: group.sentinelHosts, name: group.masterName });
  admin.on('error', () => undefined);
  const previousEnv = ctx.deployment.env;
  const sentinelEnv = {
    ...Object.fromEntries(Object.entries(previousEnv).filter(([name]) => name !== 'REDIS_URL')),
    STREAM_BACKEND: 'redis',
    REDIS_SENTINELS: hostList(group.sentinelHosts),
    REDIS_SENTINEL_MASTER: group.masterName,
    PUBLISH_MIN_REPLICAS: '1',
    PUBLISH_REPLICA_TIMEOUT_MS: '2000',
  };
  let streamClients: StreamClients | undefined;
  try {
    ctx.progress.phase('scenario 8: rolling the pods onto a Sentinel-watched Redis');
    await ctx.deployment.rollOut(sentinelEnv, (step, of) => ctx.progress.phase(`scenario 8: config rollout ${step}/${of}`));
    streamClients = await startStreamClients(ctx, channel);
    const { subscribers, publisher } = streamClients;
    const from = subscribers.log.lines.length;

    await group.lagReplicas(REPLICA_LAG_MS);
    ctx.progress.phase(`scenario 8: replicas ${REPLICA_LAG_MS} ms behind, rolling update`);
    let failover: Promise<{ promotedAfterMs: number; replicaBackAfterMs: number }> | undefined;
    const rolled = ctx.deployment.rollingUpdate((step, of) => {
      ctx.progress.phase(`scenario 8: rolling update, replaced ${step}/${of}`);
      // Midway through the update: the master dies with appends on their way to the replica.
      failover ??= (async () => {
        ctx.timeline.record('phase', { detail: 'Redis master SIGKILLed' });
        const killedAt = performance.now();
        const promoted = await group.killMasterAndAwaitPromotion();
        const promotedAfterMs = Math.round(performance.now() - killedAt);
        ctx.timeline.record('phase', { detail: 'replica promoted' });
        // With PUBLISH_MIN_REPLICAS=1 nothing is confirmed until the new master has a replica synced.
        await group.whenMasterHasReplica(promoted);
        return { promotedAfterMs, replicaBackAfterMs: Math.round(performance.now() - killedAt) };
      })();
    });
    const terminations = await rolled;
    const { promotedAfterMs, replicaBackAfterMs } = await failover!;
    await subscribers.allConnected(clients, subscribers.log.lines.length);

    ctx.progress.phase('scenario 8: stopping the publisher, waiting for every subscriber to reach the last entry');
    const { published, received, top, phantoms, checks: ledger } = await settleStream(admin, channel, { subscribers, publisher }, from);
    const checks = [
      ...ledger,
      // What a subscriber was sent beyond what the channel holds was taken back by the failover.
      check(
        'no delivery taken back by the failover (phantoms 0)',
        phantoms === 0,
        `${phantoms} entries delivered beyond the ${clients} × ${top} the channel holds`,
      ),
      check(
        'every replaced pod exited 0 within its grace period',
        terminations.every(({ exit, killed }) => exit.code === 0 && !killed),
        terminations.map(({ exit }) => JSON.stringify(exit)).join(', '),
      ),
    ];
    const feedStalls = received?.feedStalls ?? null;
    const targets: Target[] = [
      {
        // Confirmations, and so deliveries, wait for a replica: the goal counts from the moment
        // the new master has one.
        name: 'longest delivery stall of any subscriber across the failover',
        goal: `< ${replicaBackAfterMs + 2000} ms (the master killed → promoted ${promotedAfterMs} ms → a replica synced ${replicaBackAfterMs} ms, + 2 s)`,
        measured: `${received?.maxStallMs ?? '?'} ms`,
        met: received !== null && received.maxStallMs < replicaBackAfterMs + 2000,
      },
    ];
    return {
      name: 'redis-failover',
      title: TITLE,
      checks,
      targets,
      metrics: {
        channel,
        subscribers: clients,
        replicaLagMs: REPLICA_LAG_MS,
        promotedAfterMs,
        replicaBackAfterMs,
        entriesPublished: top,
        publishesConfirmed: published?.published.acked ?? null,
        entriesDelivered: received?.received ?? null,
        phantoms,
        feedStalls: feedStalls?.count ?? null,
        feedStalledMsTotal: feedStalls?.totalMs ?? null,
        maxStallMs: received?.maxStallMs ?? null,
        latencyP99Ms: received?.latencyMs.p99 ?? null,
      },
      excerpts: [
        {
          source: 'subscribers',
          lines: [...excerpt(subscribers.log, [step('channel_feed_stopped')], from), ...summaryLine(subscribers.log)],
        },
      ],
    };
  } finally {
    // Already finished when the scenario got through; stopped here when it broke.
    await Promise.all([streamClients?.subscribers.kill(), streamClients?.publisher.kill()]);
    admin.disconnect();
    ctx.progress.phase('scenario 8: rolling the pods back onto the drill’s Redis');
    await ctx.deployment.rollOut(previousEnv, () => undefined);
    await group.stop();
  }
}
