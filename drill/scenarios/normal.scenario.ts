import { setTimeout as observe } from 'node:timers/promises';
import { ClientProcess } from '../cluster/client-process.js';
import { check, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { excerpt } from '../log-lines.js';
import { SERVER_LISTENING } from '@app/contract';

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
  await ctx.seedClient.expectLine(/Received: \{"type":"hello"/);
  return ctx.seedClient;
}

/** Scenario 1: connections established, business data and results flowing. */
export async function normalScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const client = await ensureSeedClient(ctx);
  const from = client.log.lines.length;
  // The observation window of the scenario: how long normal traffic is watched.
  await observe(ctx.options.normalMs);
  const window = client.log.lines.slice(from);
  const data = window.filter((line) => /Received: \{"type":"data"/.test(line)).length;
  const results = window.filter((line) => /Received: \{"type":"result"/.test(line)).length;
  const holder = ctx.deployment.busiest();
  const hello = excerpt(client.log, [
    /Connecting to/,
    /Received: \{"type":"hello"/,
    /Received: \{"type":"data"/,
    /Received: \{"type":"result"/,
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
      { source: `server ${holder.name}`, lines: excerpt(holder.process.log, [SERVER_LISTENING, /Client connected/]) },
    ],
  };
}
