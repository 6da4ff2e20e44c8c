import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer, TcpForwarder } from '@app/standin';
import { Redis } from 'ioredis';
import { Deployment } from './cluster/deployment.js';
import { EndpointsController } from './cluster/endpoints-controller.js';
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

/**
 * The Redis for the stream backend: `--redis-url`, or a redis-server of our own — with an
 * append-only file for a soak, which restarts it and must lose nothing; or why there is none.
 */
async function provisionRedis(options: DrillOptions): Promise<{ url?: string; server?: RedisServer; appendOnlyDir?: string; missing?: string }> {
  if (options.redisUrl) return { url: options.redisUrl };
  try {
    const appendOnlyDir = options.scenarios.includes('soak') ? await mkdtemp(join(tmpdir(), 'drill-redis-')) : undefined;
    const server = await RedisServer.start(undefined, appendOnlyDir);
    return { url: server.url, server, appendOnlyDir };
  } catch (err) {
    return { missing: (err as Error).message.split('\n')[0] };
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
  const admin = redis.url ? new Redis(redis.url) : undefined;
  // Down while a soak restarts Redis: ioredis reconnects by itself, and a command meanwhile fails on its own.
  admin?.on('error', () => undefined);
  const serverEnv: Record<string, string> = {
    DATA_INTERVAL_MS: String(options.dataIntervalMs),
    DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs),
    FINAL_DATA_ITEMS: '2',
    SHUTDOWN_DELAY_MS: '0',
    // Enough history to read every entry of a drill back and check it.
    HISTORY_SIZE: '1000000',
    // A fault can put the whole fleet on one stand-in pod (no memory limit here): the drill
    // measures the drain, not the connection cap.
    MAX_CONNECTIONS: '1000000',
    ...(redis.url ? { STREAM_BACKEND: 'redis', REDIS_URL: redis.url } : {}),
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
    redis: admin ? { admin, server: redis.server } : { missing: redis.missing ?? 'no Redis' },
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
      for (const missed of result.targets.filter((t) => !t.met)) progress.note(`⚠️ ${label}: ${missed.name} — ${missed.measured}, goal ${missed.goal}`);
      progress.step();
    }
  } finally {
    progress.phase('stopping the cluster');
    await ctx.seedClient?.kill();
    await deployment.teardown();
    await service.close();
    admin?.disconnect();
    await ctx.redis.server?.stop();
    if (redis.appendOnlyDir) await rm(redis.appendOnlyDir, { recursive: true, force: true });
  }
  progress.phase('writing the report');
  const report = await writeReport(options, timeline, results, ctx.connectFloor);
  progress.step();
  progress.finish();
  return report;
}
