import { TcpForwarder } from '@app/standin';
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
import { rollingScenario } from './scenarios/rolling.scenario.js';
import { Timeline } from './timeline.js';

type Scenario = (ctx: DrillContext) => Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>>;

const SCENARIO_RUNNERS: Record<ScenarioName, { label: string; run: Scenario }> = {
  normal: { label: 'scenario 1: normal operation', run: normalScenario },
  graceful: { label: 'scenario 2: graceful shutdown', run: gracefulScenario },
  reconnect: { label: 'scenario 3: reconnect', run: reconnectScenario },
  rolling: { label: 'scenario 4: rolling update under load', run: rollingScenario },
  crash: { label: 'scenario 5: crash (SIGKILL)', run: crashScenario },
};

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
  const deployment = new Deployment(
    {
      name: 'server-deployment',
      replicas: options.replicas,
      env: {
        DATA_INTERVAL_MS: String(options.dataIntervalMs),
        DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs),
        FINAL_DATA_ITEMS: '2',
        SHUTDOWN_DELAY_MS: '0',
      },
      probePeriodMs: options.probePeriodMs,
      preStopMs: options.preStopMs,
      gracePeriodMs: options.gracePeriodMs,
    },
    service,
    endpoints,
    timeline,
  );
  const ctx: DrillContext = { options, timeline, service, serviceUrl, deployment, progress };
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
      for (const failed of result.checks.filter((c) => !c.ok)) progress.note(`❌ ${label}: ${failed.name} — ${failed.detail}`);
      for (const missed of result.targets.filter((t) => !t.met)) progress.note(`⚠️ ${label}: ${missed.name} — ${missed.measured}, goal ${missed.goal}`);
      progress.step();
    }
  } finally {
    progress.phase('stopping the cluster');
    await ctx.seedClient?.kill();
    await deployment.teardown();
    await service.close();
  }
  progress.phase('writing the report');
  const report = await writeReport(options, timeline, results, ctx.connectFloor);
  progress.step();
  progress.finish();
  return report;
}
