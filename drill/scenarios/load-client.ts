import { ClientProcess } from '../cluster/client-process.js';
import type { DrillContext } from '../drill.context.js';

/** Starts `--clients` virtual clients through the Service and waits until all are connected. */
export async function startLoadClient(ctx: DrillContext): Promise<ClientProcess> {
  const { clients, requestIntervalMs, workMs, probePeriodMs } = ctx.options;
  const client = ClientProcess.spawn({
    SERVER_URL: ctx.serviceUrl,
    CLIENTS: String(clients),
    REQUEST_INTERVAL_MS: String(requestIntervalMs),
    WORK_MS: String(workMs),
    STATS_INTERVAL_MS: String(Math.max(100, Math.min(probePeriodMs, 500))),
  });
  await client.allConnected(clients);
  return client;
}
