import { ClientProcess } from '@app/standin';
import type { DrillContext } from '../drill.context.js';

/**
 * Starts `--clients` virtual clients through the Service and waits until all are connected;
 * `env` adds to (or overrides) the client's settings.
 */
export async function startLoadClient(ctx: DrillContext, env: Record<string, string> = {}): Promise<ClientProcess> {
  const { clients, requestIntervalMs, workMs, probePeriodMs } = ctx.options;
  const client = ClientProcess.spawn({
    SERVER_URL: ctx.serviceUrl,
    CLIENTS: String(clients),
    REQUEST_INTERVAL_MS: String(requestIntervalMs),
    WORK_MS: String(workMs),
    STATS_INTERVAL_MS: String(Math.max(100, Math.min(probePeriodMs, 500))),
    ...env,
  });
  await client.allConnected(clients);
  return client;
}
