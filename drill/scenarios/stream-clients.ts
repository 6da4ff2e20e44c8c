import { ChannelMetaField, parseLineage, redisKeys } from '@app/contract';
import type { Redis } from 'ioredis';
import type { LogRecord, StreamSummary } from '@app/contract';
import { ClientProcess } from '@app/standin';
import { check, type Check, type DrillContext } from '../drill.context.js';

export interface StreamClients {
  subscribers: ClientProcess;
  publisher: ClientProcess;
}

/**
 * `clients` subscribers (the drill's, unless told) to `channel` and one publisher appending `publishRate`
 * entries/s, through the Service (`serviceUrl`: another one). The subscribers' stats lines, every
 * probe period (within 100–500 ms), feed the timeline's delivery series.
 * `publisherExitTimeoutMs`: how long the stopping publisher waits for its unconfirmed publishes
 * (the client's default when not given).
 */
export async function startStreamClients(
  ctx: Pick<DrillContext, 'options' | 'timeline' | 'serviceUrl'>,
  channel: string,
  {
    serviceUrl = ctx.serviceUrl,
    clients = ctx.options.clients,
    publisherExitTimeoutMs,
  }: { serviceUrl?: string; clients?: number; publisherExitTimeoutMs?: number } = {},
): Promise<StreamClients> {
  const { publishRate: rate, probePeriodMs } = ctx.options;
  const { timeline } = ctx;
  const statsIntervalMs = Math.max(100, Math.min(probePeriodMs, 500));
  const subscribers = ClientProcess.spawn({
    SERVER_URL: serviceUrl,
    CLIENTS: String(clients),
    REQUEST_INTERVAL_MS: '0',
    CHANNELS: channel,
    STATS_INTERVAL_MS: String(statsIntervalMs),
  });
  subscribers.log.onLine((_line, index) => {
    const stream = subscribers.log.eventAt(index, 'client_stats')?.stream;
    if (stream) timeline.record('stream-delivered', { value: stream.received, detail: channel });
  });
  await subscribers.allConnected(clients);
  const publisher = ClientProcess.spawn({
    SERVER_URL: serviceUrl,
    REQUEST_INTERVAL_MS: '0',
    PUBLISH_CHANNEL: channel,
    PUBLISH_INTERVAL_MS: String(Math.max(1, Math.round(1000 / rate))),
    ...(publisherExitTimeoutMs === undefined ? {} : { EXIT_TIMEOUT_MS: String(publisherExitTimeoutMs) }),
  });
  await publisher.expectFrame(({ type }) => type === 'published');
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
  const reached = subscribers.expectEvent('client_stats', ({ stream }) => stream?.slowestOffset === offset, from).catch(() => undefined);
  try {
    await Promise.race([reached, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A channel's history in one epoch: the publisher ids of its entries, in stream order, and the
 * earlier epochs whose offsets it continues (a failover or a restart renewed the epoch without
 * losing entries: a subscriber may still name one of those).
 */
export interface History {
  epoch: string;
  ancestors: string[];
  ids: string[];
}

/** What Redis holds for `channel` now. */
export async function readHistory(admin: Redis, channel: string): Promise<History> {
  const [[epoch, lineage], entries] = await Promise.all([
    admin.hmget(redisKeys.meta(channel), ChannelMetaField.epoch, ChannelMetaField.lineage),
    admin.xrange(redisKeys.stream(channel), '-', '+'),
  ]);
  return {
    epoch: epoch ?? '',
    ancestors: parseLineage(lineage ?? '').map((link) => link.epoch),
    ids: entries.map(([, fields]) => fields[fields.indexOf('id') + 1] ?? ''),
  };
}

/**
 * Ends a stream run and checks its ledger against what Redis holds: stops the publisher, waits
 * for every subscriber to reach the last offset (stats lines from log line `from` on), stops
 * them, and reads the channel back. Every confirmed publish must be in the stream exactly once
 * (the publisher's ids 1…N), and every subscriber must have every offset to the last.
 *
 * `lost`: the channel's history each time Redis lost its data (read just before). A publish is
 * then in one of those histories or in the stream now — once per epoch: one re-sent because its
 * confirmation was lost with Redis is appended again in the new epoch (counted) — and every
 * subscriber must have been told of the loss (`recovered: false`) at least once and at most
 * once per loss. A subscriber told of a loss where none was, or given an offset twice, fails it;
 * `phantoms` counts deliveries beyond what the subscribers were owed (entries a failover took back).
 */
export async function settleStream(
  admin: Redis,
  channel: string,
  { subscribers, publisher }: StreamClients,
  from: number,
  lost: History[] = [],
): Promise<{
  published: StreamSummary | null;
  received: StreamSummary | null;
  top: number;
  lostEntries: number;
  phantoms: number | null;
  checks: Check[];
}> {
  const published = (await publisher.finish()).stream;
  const top = Number(await admin.hget(redisKeys.meta(channel), ChannelMetaField.top));
  // Generous: the slowest subscriber may still be replaying after the last move.
  await allReached(subscribers, top, from, 30_000);
  const fleet = await subscribers.finish();
  const received = fleet.stream;
  const now = await readHistory(admin, channel);
  const epochs = [...lost, now];
  const numbersOf = (ids: string[]): number[] => ids.map((id) => Number(/-p(\d+)$/.exec(id)?.[1]));
  const seen = new Map<number, number>();
  for (const { ids } of epochs) for (const n of new Set(numbersOf(ids))) seen.set(n, (seen.get(n) ?? 0) + 1);
  const doubledInEpoch = epochs.reduce((sum, { ids }) => sum + ids.length - new Set(ids).size, 0);
  const created = published?.published.created ?? 0;
  const missing = Array.from({ length: created }, (_, index) => index + 1).filter((n) => !seen.has(n));
  const unknown = [...seen.keys()].filter((n) => !Number.isInteger(n) || n < 1 || n > created).length;
  const reappended = [...seen.values()].filter((count) => count > 1).length;
  const lostEntries = lost.reduce((sum, { ids }) => sum + ids.length, 0);
  const accountedFor = missing.length === 0 && unknown === 0 && doubledInEpoch === 0 && now.ids.length === top;
  const lossNote =
    lost.length === 0
      ? ''
      : `; Redis lost its data ${lost.length} times, with ${lostEntries} entries (read just before), ${reappended} publishes appended again in a later epoch`;
  const missed = missedWithRedis(
    subscribers.log.events('channel_loss', (loss) => loss.channel === channel, from),
    lost,
  );
  // The subscribers followed the channel before its first publish: each is owed every entry.
  const owed = fleet.clients * (lostEntries + now.ids.length);
  const phantoms = received === null ? null : Math.max(0, received.received + missed.total - owed);
  const perSubscriber = received?.unrecoverablePerSubscriber;
  const toldOfLosses =
    lost.length === 0
      ? received?.unrecoverable === 0
      : perSubscriber !== null && perSubscriber !== undefined && perSubscriber.min >= 1 && perSubscriber.max <= lost.length;
  const checks = [
    check(
      'every confirmed publish is in the stream exactly once',
      published !== null && published.published.outstanding === 0 && published.published.acked === created && accountedFor,
      `publisher created ${created}, confirmed ${published?.published.acked}, outstanding ${published?.published.outstanding}; ` +
        `stream holds ${now.ids.length} entries, top offset ${top}${lossNote}`,
    ),
    check(
      'no publish lost or doubled (ids 1…N, each once per epoch)',
      accountedFor,
      `ids 1…${created}: ${missing.length} missing${missing.length > 0 ? ` (first ${missing.slice(0, 5).join(', ')})` : ''}, ${unknown} unknown, ` +
        `${doubledInEpoch} twice within an epoch`,
    ),
    check(
      'every subscriber received every offset once, in order, to the last (gaps 0, duplicates 0; recovered: false only where Redis lost data)',
      received !== null &&
        received.gaps === 0 &&
        received.duplicates === 0 &&
        toldOfLosses &&
        missed.unexplained.length === 0 &&
        received.received + missed.total === owed &&
        received.lastOffset[channel]?.min === top,
      `gaps ${received?.gaps}, unrecoverable ${received?.unrecoverable}` +
        `${perSubscriber ? ` (per subscriber ${perSubscriber.min}…${perSubscriber.max} for ${lost.length} losses)` : ''}, ` +
        (lost.length === 0
          ? ''
          : `entries each subscriber missed because Redis lost them ${missed.min}…${missed.max} (of ${lostEntries}), `) +
        (missed.unexplained.length === 0 ? '' : `told of a loss Redis did not have: ${missed.unexplained.slice(0, 3).join(' | ')}, `) +
        `slowest subscriber at ${received?.lastOffset[channel]?.min} of ${top}; ${received?.received} entries delivered` +
        `${lost.length === 0 ? '' : ` + ${missed.total} lost with Redis`} of ${owed} owed (${fleet.clients} subscribers × ${lostEntries + now.ids.length}), ` +
        `${received?.duplicates} duplicates dropped, ${phantoms} delivered beyond what was owed`,
    ),
  ];
  return { published, received, top, lostEntries, phantoms, checks };
}

/**
 * From the subscribers' `recovered: false` lines: how many entries each one missed because Redis
 * lost them — the rest of the epoch it was in (as read just before the loss) and every lost epoch
 * it never saw — and the lines the ledger rejects: one leaving an epoch Redis did not lose, or
 * resuming past the start of the new one (skipping entries Redis kept; the drill's history is
 * never trimmed).
 */
function missedWithRedis(
  losses: LogRecord<'channel_loss'>[],
  lost: History[],
): { min: number; max: number; total: number; unexplained: string[] } {
  // An epoch Redis lost, or one whose offsets it continued: leaving either at offset N loses the rest of that history.
  const position = new Map(lost.flatMap((history, index) => [history.epoch, ...history.ancestors].map((epoch) => [epoch, index] as const)));
  // Each subscriber's losses in the order it was told: [history index, offset left at, epoch resumed in].
  const told = new Map<string, { first: number; offset: number; to: string }[]>();
  const unexplained: string[] = [];
  for (const { client: subscriber, had, resumesAfter } of losses) {
    const first = position.get(had.epoch);
    if (first === undefined) {
      unexplained.push(`${subscriber} left ${had.epoch}/${had.offset}`);
      continue;
    }
    if (resumesAfter.offset > 0)
      unexplained.push(`${subscriber} resumed after ${resumesAfter.epoch}/${resumesAfter.offset}, skipping entries Redis kept`);
    told.set(subscriber, [...(told.get(subscriber) ?? []), { first, offset: had.offset, to: resumesAfter.epoch }]);
  }
  const missed = new Map<string, number>();
  for (const [subscriber, losses] of told) {
    let count = 0;
    for (const [index, { first, offset, to }] of losses.entries()) {
      // The epoch it resumed in ended at the loss it was told of next; after its last one, at the
      // loss whose history continues it (its lineage, if not too long ago) or at none.
      const last = losses[index + 1]?.first ?? position.get(to) ?? lost.length;
      count += lost[first]!.ids.length - offset;
      for (let later = first + 1; later < last; later++) count += lost[later]!.ids.length;
    }
    missed.set(subscriber, count);
  }
  const counts = [...missed.values()];
  return {
    min: counts.length === 0 ? 0 : Math.min(...counts),
    max: counts.length === 0 ? 0 : Math.max(...counts),
    total: counts.reduce((sum, count) => sum + count, 0),
    unexplained,
  };
}
