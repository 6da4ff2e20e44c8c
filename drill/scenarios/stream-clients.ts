import { ClientProcess } from '../cluster/client-process.js';
import type { Timeline } from '../timeline.js';

export interface StreamClients {
  subscribers: ClientProcess;
  publisher: ClientProcess;
}

const DELIVERED = /Stats: .* stream received=(\d+) gaps=\d+ slowestOffset=(\d+)/;

/**
 * A fleet of `clients` subscribers to `channel` and one publisher appending `rate` entries/s,
 * all through the Service. The subscribers' stats lines feed the timeline's delivery series.
 */
export async function startStreamClients(
  serviceUrl: string,
  channel: string,
  clients: number,
  rate: number,
  statsIntervalMs: number,
  timeline: Timeline,
): Promise<StreamClients> {
  const subscribers = ClientProcess.spawn({
    SERVER_URL: serviceUrl,
    CLIENTS: String(clients),
    REQUEST_INTERVAL_MS: '0',
    CHANNELS: channel,
    STATS_INTERVAL_MS: String(statsIntervalMs),
  });
  subscribers.log.onLine((line) => {
    const match = DELIVERED.exec(line);
    if (match) timeline.record('stream-delivered', { value: Number(match[1]), detail: channel });
  });
  await subscribers.allConnected(clients);
  const publisher = ClientProcess.spawn({
    SERVER_URL: serviceUrl,
    REQUEST_INTERVAL_MS: '0',
    PUBLISH_CHANNEL: channel,
    PUBLISH_INTERVAL_MS: String(Math.max(1, Math.round(1000 / rate))),
  });
  await publisher.expectLine(/Received: \{"type":"published"/);
  return { subscribers, publisher };
}

/**
 * Resolves once a stats line from log line `from` on shows the slowest subscriber at `offset`,
 * or at `deadlineMs`: the checks then fail with the figures, rather than the drill hanging on a
 * subscriber that will never get there.
 */
export async function allReached(subscribers: ClientProcess, offset: number, from: number, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
  // A subscriber process that ends first is reported by the checks too.
  const reached = subscribers.expectLine(new RegExp(`stream received=\\d+ gaps=\\d+ slowestOffset=${offset}\\b`), from).catch(() => undefined);
  try {
    await Promise.race([reached, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
