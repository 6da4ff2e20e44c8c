import { Deployment, EndpointsController, hostList, RedisSentinelGroup, RedisServer, TcpForwarder } from '@app/standin';
import { Redis } from 'ioredis';
import type { DrillContext, ScenarioResult } from './drill.context.js';
import type { DrillOptions, ScenarioName } from './drill.options.js';
import { Progress } from './report/progress.js';
import { writeReport, type ReportFiles } from './report/report-writer.js';
import { crashScenario } from './scenarios/crash.scenario.js';
import { gracefulScenario } from './scenarios/graceful.scenario.js';
import { measureConnectFloor } from './scenarios/connect-floor.js';
import { normalScenario } from './scenarios/normal.scenario.js';
import { reconnectScenario } from './scenarios/reconnect.scenario.js';
import { redisFailoverScenario } from './scenarios/redis-failover.scenario.js';
import { rollingScenario } from './scenarios/rolling.scenario.js';
import { streamControlScenario } from './scenarios/stream-control.scenario.js';
import { streamScenario } from './scenarios/stream.scenario.js';
import { soakScenario } from './soak/soak.scenario.js';
import { Timeline } from './timeline.js';

type Scenario = (ctx: DrillContext) => Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>>;

const SCENARIO_RUNNERS: Record<ScenarioName, { label: string; run: Scenario }> = {
  normal: { label: 'scenario 1: normal operation', run: normalScenario },
  graceful: { label: 'scenario 2: graceful shutdown', run: gracefulScenario },
  reconnect: { label: 'scenario 3: reconnect', run: reconnectScenario },
  rolling: { label: 'scenario 4: rolling update under load', run: rollingScenario },
  crash: { label: 'scenario 5: crash (SIGKILL)', run: crashScenario },
  stream: { label: 'scenario 6: shared channel on Redis', run: streamScenario },
  'stream-control': { label: 'scenario 7: control run on the memory backend', run: streamControlScenario },
  'redis-failover': { label: 'scenario 8: Redis Sentinel failover to a lagging replica', run: redisFailoverScenario },
  soak: { label: 'soak: random faults under load', run: soakScenario },
};

/** A Redis the drill's pods use: their settings for it, a client for reading streams back, and how to let it go. */
interface ProvisionedRedis {
  env: Record<string, string>;
  admin: Redis;
  /** The soak's own Sentinel group, which its Redis faults act on. */
  group?: RedisSentinelGroup;
  stop(): Promise<void>;
}

/**
 * The soak's Redis: a master and a replica (each with an append-only file, fsync always, so a
 * restart loses nothing) watched by three sentinels, the replica behind a delay proxy so a
 * fault can make it lag; confirmations wait for the replica (PUBLISH_MIN_REPLICAS=1), as in
 * the prod overlay. Sentinel's failover-timeout (which also bounds how long it leaves a replica
 * behind the proxy) outlasts any one fault.
 */
const SOAK_REDIS = { replicas: 1, delayed: true, appendOnly: true, failoverTimeoutMs: 60_000 } as const;

/** The Redis for the stream backend: `--redis-url`, or Redis of our own; or why there is none. */
async function provisionRedis(options: DrillOptions): Promise<ProvisionedRedis | { missing: string }> {
  if (options.redisUrl) {
    return {
      env: { STREAM_BACKEND: 'redis', REDIS_URL: options.redisUrl },
      admin: new Redis(options.redisUrl),
      stop: () => Promise.resolve(),
    };
  }
  try {
    if (options.scenarios.includes('soak')) {
      const group = await RedisSentinelGroup.start(SOAK_REDIS);
      return {
        env: {
          STREAM_BACKEND: 'redis',
          REDIS_SENTINELS: hostList(group.sentinelHosts),
          REDIS_SENTINEL_MASTER: group.masterName,
          PUBLISH_MIN_REPLICAS: '1',
          PUBLISH_REPLICA_TIMEOUT_MS: '2000',
        },
        admin: new Redis({ sentinels: group.sentinelHosts, name: group.masterName }),
        group,
        stop: () => group.stop(),
      };
    }
    const server = await RedisServer.start();
    return { env: { STREAM_BACKEND: 'redis', REDIS_URL: server.url }, admin: new Redis(server.url), stop: () => server.stop() };
  } catch (err) {
    return { missing: (err as Error).message.split('\n')[0]! };
  }
}

/** Runs the selected scenarios on a fresh stand-in cluster and writes the report. */
export async function runDrill(options: DrillOptions): Promise<ReportFiles> {
  const timeline = new Timeline();
  const progress = new Progress(options.scenarios.length + 2);
  const service = new TcpForwarder();
  for (const event of ['connected', 'disconnected'] as const) {
    service.on(event, (pod, active) => timeline.record('connections', { pod, value: active }));
  }
  const serviceUrl = `ws://127.0.0.1:${await service.listen()}/ws`;
  const endpoints = new EndpointsController(service, options.propagationMs, timeline);
  const wantsRedis = options.scenarios.includes('stream') || options.scenarios.includes('soak');
  const redis = wantsRedis ? await provisionRedis(options) : { missing: 'not needed' };
  // Down while a soak restarts Redis: ioredis reconnects by itself, and a command meanwhile fails on its own.
  if ('admin' in redis) redis.admin.on('error', () => undefined);
  const serverEnv: Record<string, string> = {
    DATA_INTERVAL_MS: String(options.dataIntervalMs),
    DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs),
    // Below the drain deadline, as the server asks (it warns otherwise): work in flight finishes within the drain.
    MAX_WORK_MS: String(Math.floor(options.drainTimeoutMs / 2)),
    FINAL_DATA_ITEMS: '2',
    SHUTDOWN_DELAY_MS: '0',
    // The connection events are part of what the drill shows (who held the client, who drained it).
    LOG_LEVEL: 'debug',
    // Enough history to read every entry of a drill back and check it.
    HISTORY_SIZE: '1000000',
    // A fault can put the whole fleet on one stand-in pod (no memory limit here): the drill
    // measures the drain, not the connection cap.
    MAX_CONNECTIONS: '1000000',
    ...('env' in redis ? redis.env : {}),
  };
  const deployment = new Deployment(
    {
      name: 'server-deployment',
      replicas: options.replicas,
      env: serverEnv,
      probePeriodMs: options.probePeriodMs,
      preStopMs: options.preStopMs,
      gracePeriodMs: options.gracePeriodMs,
    },
    service,
    endpoints,
    timeline,
  );
  const ctx: DrillContext = {
    options,
    timeline,
    service,
    serviceUrl,
    deployment,
    serverEnv,
    redis: 'admin' in redis ? { admin: redis.admin, group: redis.group } : { missing: redis.missing },
    endpoints,
    progress,
  };
  const results: ScenarioResult[] = [];
  try {
    progress.phase(`starting ${options.replicas} server pods`);
    timeline.record('phase', { detail: 'deploy' });
    await deployment.scaleUp();
    progress.phase('measuring the connection floor through the Service');
    ctx.connectFloor = await measureConnectFloor(serviceUrl);
    progress.step();
    for (const name of options.scenarios) {
      const { label, run } = SCENARIO_RUNNERS[name];
      progress.phase(label);
      const event = timeline.record('phase', { detail: label });
      const started = Date.now();
      const result = { ...(await run(ctx)), startedAt: event.t, durationMs: Date.now() - started };
      results.push(result);
      if (result.notRun) progress.note(`⚠️ ${label}: not run — ${result.notRun}`);
      for (const failed of result.checks.filter((c) => !c.ok)) progress.note(`❌ ${label}: ${failed.name} — ${failed.detail}`);
      for (const missed of result.targets.filter((t) => !t.met))
        progress.note(`⚠️ ${label}: ${missed.name} — ${missed.measured}, goal ${missed.goal}`);
      progress.step();
    }
  } finally {
    progress.phase('stopping the cluster');
    await ctx.seedClient?.kill();
    await deployment.teardown();
    await service.close();
    if ('admin' in redis) {
      redis.admin.disconnect();
      await redis.stop();
    }
  }
  progress.phase('writing the report');
  const report = await writeReport(options, timeline, results, ctx.connectFloor);
  progress.step();
  progress.finish();
  return report;
}
