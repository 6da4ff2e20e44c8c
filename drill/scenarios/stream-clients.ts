import type { Redis } from 'ioredis';
import type { StreamSummary } from '../../apps/client/stats/client-stats.js';
import { ClientProcess } from '../cluster/client-process.js';
import { check, type Check } from '../drill.context.js';
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

/**
 * Ends a stream run and checks its ledger against what Redis holds: stops the publisher, waits
 * for every subscriber to reach the last offset (stats lines from log line `from` on), stops
 * them, and reads the channel back. Every confirmed publish must be in the stream exactly once
 * (the publisher's ids 1…N, in order), and every subscriber must have every offset to the last.
 */
export async function settleStream(
  admin: Redis,
  channel: string,
  { subscribers, publisher }: StreamClients,
  from: number,
): Promise<{ published: StreamSummary | null; received: StreamSummary | null; top: number; checks: Check[] }> {
  const published = (await publisher.finish()).stream;
  const top = Number(await admin.get(`gs:{${channel}}:top`));
  // Generous: the slowest subscriber may still be replaying after the last move.
  await allReached(subscribers, top, from, 30_000);
  const received = (await subscribers.finish()).stream;
  const ids = (await admin.xrange(`gs:{${channel}}:s`, '-', '+')).map(([, fields]) => fields[fields.indexOf('id') + 1] ?? '');
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
  ];
  return { published, received, top, checks };
}
