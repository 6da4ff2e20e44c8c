import { setTimeout as observe } from 'node:timers/promises';
import { ClientProcess, frameStep, receivedFrame, step } from '@app/standin';
import { check, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { excerpt } from '../log-lines.js';

/** Starts the seed report's single client through the Service (scenarios 1–3 share it). */
export async function ensureSeedClient(ctx: DrillContext): Promise<ClientProcess> {
  if (ctx.seedClient) return ctx.seedClient;
  const { requestIntervalMs, workMs } = ctx.options;
  ctx.seedClient = ClientProcess.spawn({
    SERVER_URL: ctx.serviceUrl,
    CLIENTS: '1',
    REQUEST_INTERVAL_MS: String(requestIntervalMs),
    WORK_MS: String(workMs),
    // debug adds the close code of each drained connection to the log.
    LOG_LEVEL: 'debug',
  });
  await ctx.seedClient.expectFrame(({ type }) => type === 'hello');
  return ctx.seedClient;
}

/** Scenario 1: connections established, business data and results flowing. */
export async function normalScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const client = await ensureSeedClient(ctx);
  const from = client.log.lines.length;
  // The observation window of the scenario: how long normal traffic is watched.
  await observe(ctx.options.normalMs);
  const received = (type: string): number =>
    client.log.events('frame_received', ({ text }) => receivedFrame(text).type === type, from).length;
  const data = received('data');
  const results = received('result');
  const holder = ctx.deployment.busiest();
  const hello = excerpt(client.log, [
    step('client_connecting'),
    frameStep('hello', ({ type }) => type === 'hello'),
    frameStep('data', ({ type }) => type === 'data'),
    frameStep('result', ({ type }) => type === 'result'),
  ]);
  return {
    name: 'normal',
    title: 'Normal operation',
    checks: [
      check('client connected through the Service', hello.length >= 2, `connected to ${holder.name}`),
      check('business data flowing', data > 0, `${data} data frames in ${ctx.options.normalMs} ms`),
      check('requests answered', results > 0, `${results} results in ${ctx.options.normalMs} ms`),
    ],
    targets: [],
    metrics: { holderPod: holder.name, dataFrames: data, results, windowMs: ctx.options.normalMs },
    excerpts: [
      { source: 'client', lines: hello },
      { source: `server ${holder.name}`, lines: excerpt(holder.process.log, [step('server_listening'), step('client_connected')]) },
    ],
  };
}
