import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { redisKeys } from '@app/contract';
import { RedisClusterGroup, RedisSentinelGroup, RedisServer, until } from '@app/standin';
import { Redis } from 'ioredis';
import { ChannelSubscription, type Since } from '../subscription/channel-subscription.js';
import { MemoryStreamBackend, type MemoryHistoryLimits } from './memory.backend.js';
import { RedisStreamBackend, type RedisBackendOptions } from './redis/redis.backend.js';
import type { RedisTopology } from '../../config/redis-topology.js';
import { BackendUnavailableError, type LiveListener, type StreamBackend, type StreamEntry } from './stream-backend.js';

const LIMITS: MemoryHistoryLimits = { historySize: 50, historyTtlMs: 0, dedupTtlMs: 60_000, historyMaxBytes: 1 << 30 };
const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
const metrics = { backendError: jest.fn(), backendUp: jest.fn() };
const NO_AUTH = { username: undefined, password: undefined, tls: false };

let redis: RedisServer;
let sentinel: RedisSentinelGroup;
let cluster: RedisClusterGroup;
beforeAll(async () => {
  [redis, sentinel, cluster] = await Promise.all([RedisServer.start(), RedisSentinelGroup.start(), RedisClusterGroup.start()]);
}, 120_000);
afterAll(() => Promise.all([redis.stop(), sentinel.stop(), cluster.stop()]));

const standalone = (): RedisTopology => ({ kind: 'standalone', url: redis.url });
const redisBackend = (topology: RedisTopology, options: Partial<RedisBackendOptions> = {}): RedisStreamBackend =>
  new RedisStreamBackend(
    { ...LIMITS, topology, commandTimeoutMs: 2000, minReplicas: 0, replicaTimeoutMs: 1000, emptyChannelTtlMs: 60_000, ...options },
    logger,
    metrics,
  );

const backends: [string, () => StreamBackend][] = [
  ['memory', () => new MemoryStreamBackend(LIMITS)],
  ['redis standalone', () => redisBackend(standalone())],
  [
    'redis sentinel, confirmed by 1 replica',
    () =>
      redisBackend(
        {
          kind: 'sentinel',
          sentinels: sentinel.sentinelHosts,
          masterName: sentinel.masterName,
          sentinelPassword: undefined,
          auth: NO_AUTH,
        },
        { minReplicas: 1 },
      ),
  ],
  ['redis cluster', () => redisBackend({ kind: 'cluster', nodes: cluster.seeds, auth: NO_AUTH })],
  [
    'redis cluster, confirmed by 1 replica',
    () => redisBackend({ kind: 'cluster', nodes: cluster.seeds, auth: NO_AUTH }, { minReplicas: 1 }),
  ],
];

const silent: Pick<LiveListener, 'stalled' | 'resync'> = { stalled: () => undefined, resync: () => undefined };
/** A replay budget that never makes a replay wait. */
const UNLIMITED_REPLAY = { spend: () => undefined, ready: () => Promise.resolve() };

/** A subscriber as a session would be: records what it was sent, in order. */
class RecordingSink {
  readonly offsets: number[] = [];
  readonly subscribed: { epoch: string; top: number; recovered: boolean }[] = [];
  readonly failures: unknown[] = [];
  /** `feed` notices, in order. */
  readonly feed: boolean[] = [];
  /** Lags reported for entries that came live (replayed ones are not reported). */
  readonly lags: number[] = [];
  private waiters: { offset: number; resolve: () => void }[] = [];
  /** Runs before each message is recorded, e.g. to publish more during a replay. */
  onMessage: (entry: StreamEntry) => void = () => undefined;
  /** Messages sent and not yet written out (a turn later, as a socket would), and the most at once. */
  private queued = 0;
  maxQueued = 0;
  /** Says `backlogged` whenever anything is queued (off: never), as a slow reader's connection would. */
  reportsBacklog = false;
  /** What each message is said to have queued. */
  bytesPerMessage = 100;

  readonly sink = {
    subscribed: (epoch: string, top: number, recovered: boolean) => this.subscribed.push({ epoch, top, recovered }),
    message: (entry: StreamEntry, written?: () => void) => {
      this.onMessage(entry);
      this.offsets.push(entry.offset);
      this.waiters = this.waiters.filter((waiter) => (waiter.offset <= entry.offset ? (waiter.resolve(), false) : true));
      // Written "later", as a socket would: the replay must wait for it.
      this.maxQueued = Math.max(this.maxQueued, ++this.queued);
      setImmediate(() => {
        this.queued--;
        written?.();
      });
      return this.bytesPerMessage;
    },
    fannedOut: (lagMs: number) => this.lags.push(lagMs),
    backlogged: () => this.reportsBacklog && this.queued > 0,
    feed: (live: boolean) => this.feed.push(live),
    failed: (err: unknown) => this.failures.push(err),
  };

  /** Resolves once an offset ≥ `offset` was received. */
  reached(offset: number): Promise<void> {
    if ((this.offsets.at(-1) ?? 0) >= offset) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ offset, resolve }));
  }
}

async function appendMany(backend: StreamBackend, channel: string, count: number, prefix = 'p'): Promise<void> {
  for (let index = 1; index <= count; index++) await backend.append(channel, `${prefix}-${index}`, { index });
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe.each(backends)('%s stream backend', (_name, create) => {
  let backend: StreamBackend;
  let channel: string;
  beforeEach(async () => {
    backend = create();
    channel = `test.${randomUUID()}`;
    await backend.whenUp();
  });
  afterEach(() => backend.close());

  it('gives a new channel an epoch and top 0, then offsets 1, 2, 3… within that epoch', async () => {
    const start = await backend.position(channel);
    expect(start.top).toBe(0);
    const first = await backend.append(channel, 'a', { n: 1 });
    const second = await backend.append(channel, 'b', { n: 2 });
    expect([first, second]).toEqual([
      { epoch: start.epoch, offset: 1, duplicate: false },
      { epoch: start.epoch, offset: 2, duplicate: false },
    ]);
    expect(await backend.position(channel)).toEqual({ epoch: start.epoch, top: 2, lineage: [] });
    expect(await backend.read(channel, 0, 10)).toEqual({
      epoch: start.epoch,
      top: 2,
      entries: [
        { offset: 1, id: 'a', payload: { n: 1 } },
        { offset: 2, id: 'b', payload: { n: 2 } },
      ],
    });
  });

  it('appends a (channel, id) once: a re-sent publish gets the original offset', async () => {
    await backend.append(channel, 'x', { v: 1 });
    await backend.append(channel, 'y', { v: 2 });
    const again = await backend.append(channel, 'x', { v: 'changed' });
    expect(again).toMatchObject({ offset: 1, duplicate: true });
    expect((await backend.position(channel)).top).toBe(2);
    expect(await backend.append(`${channel}.other`, 'x', {})).toMatchObject({ offset: 1, duplicate: false });
  });

  it('reads history in pages and keeps only the newest HISTORY_SIZE entries', async () => {
    await appendMany(backend, channel, 60);
    const page = await backend.read(channel, 0, 5);
    expect(page.entries.map((entry) => entry.offset)).toEqual(range(11, 15));
    expect((await backend.read(channel, 57, 100)).entries.map((entry) => entry.offset)).toEqual([58, 59, 60]);
    expect((await backend.read(channel, 60, 100)).entries).toEqual([]);
  });

  it('delivers live entries appended after listen() resolved, in order, until unlistened', async () => {
    const seen: number[] = [];
    let notify: () => void = () => undefined;
    const three = new Promise<void>((resolve) => (notify = resolve));
    const stop = await backend.listen(channel, {
      entry: (_epoch, entry) => {
        seen.push(entry.offset);
        if (seen.length === 3) notify();
      },
      ...silent,
    });
    await appendMany(backend, channel, 3);
    await three;
    stop();
    expect(seen).toEqual([1, 2, 3]);
  });

  describe('a subscription', () => {
    it('reads each page of a replay only once the connection has replay budget, and charges it what was sent', async () => {
      await appendMany(backend, channel, 25);
      const { epoch } = await backend.position(channel);
      const recorder = new RecordingSink();
      const waiting: (() => void)[] = [];
      let onWaiting: (() => void) | undefined;
      let spent = 0;
      const budget = {
        spend: (bytes: number) => (spent += bytes),
        ready: () =>
          new Promise<void>((resolve) => {
            waiting.push(resolve);
            onWaiting?.();
          }),
      };
      /** Resolves once the replay waits for budget for the `count`-th time. */
      const waits = (count: number): Promise<void> =>
        waiting.length >= count ? Promise.resolve() : new Promise((resolve) => (onWaiting = resolve));
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 10, budget);
      try {
        await subscription.start({ epoch, offset: 0 });
        for (const [page, sent] of [range(1, 10), range(1, 20)].entries()) {
          await waits(page + 1);
          // Nothing of the next page before the budget allows it.
          expect(recorder.offsets).toEqual(page === 0 ? [] : range(1, 10));
          waiting[page]!();
          await recorder.reached(sent.at(-1)!);
        }
        await waits(3);
        waiting[2]!();
        await recorder.reached(25);
        expect(recorder.offsets).toEqual(range(1, 25));
        expect(spent).toBe(25 * recorder.bytesPerMessage);
      } finally {
        subscription.stop();
      }
    });

    it('paces its replay by the socket: on a backlogged connection each entry waits for the one before it to be written', async () => {
      await appendMany(backend, channel, 30);
      const { epoch } = await backend.position(channel);
      const recorder = new RecordingSink();
      recorder.reportsBacklog = true;
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 100, UNLIMITED_REPLAY);
      try {
        await subscription.start({ epoch, offset: 0 });
        await recorder.reached(30);
        expect(recorder.offsets).toEqual(range(1, 30));
        // One entry goes out while the queue is empty, the next waits with it: never more than two.
        expect(recorder.maxQueued).toBe(2);
      } finally {
        subscription.stop();
      }
    });

    it('without since: subscribed at the top, then only what comes after', async () => {
      await appendMany(backend, channel, 4);
      const recorder = new RecordingSink();
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 10, UNLIMITED_REPLAY);
      await subscription.start(undefined);
      await appendMany(backend, channel, 2, 'later');
      await recorder.reached(6);
      subscription.stop();
      expect(recorder.subscribed).toEqual([{ epoch: (await backend.position(channel)).epoch, top: 4, recovered: true }]);
      expect(recorder.offsets).toEqual([5, 6]);
      expect(recorder.lags).toHaveLength(2);
      for (const lag of recorder.lags) expect(lag).toBeGreaterThanOrEqual(0);
    });

    it('with since: replays the rest in pages while a burst is published, then goes live — every offset once, in order', async () => {
      await appendMany(backend, channel, 40);
      const { epoch } = await backend.position(channel);
      const recorder = new RecordingSink();
      // Every replayed entry triggers another publish: the seam is crossed under load.
      let published = 0;
      recorder.onMessage = () => {
        if (published < 30) void backend.append(channel, `burst-${++published}`, {});
      };
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 3, UNLIMITED_REPLAY);
      await subscription.start({ epoch, offset: 10 });
      await recorder.reached(70);
      subscription.stop();
      expect(recorder.subscribed).toEqual([{ epoch, top: 40, recovered: true }]);
      expect(recorder.offsets).toEqual(range(11, 70));
    });

    it.each<[string, (epoch: string) => Since]>([
      ['another epoch', () => ({ epoch: 'not-this-one', offset: 3 })],
      ['entries already trimmed', (epoch) => ({ epoch, offset: 2 })],
    ])('from %s: recovered false, then everything history still holds (the newest 50), then live', async (_case, since) => {
      await appendMany(backend, channel, 55);
      const { epoch } = await backend.position(channel);
      const recorder = new RecordingSink();
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 10, UNLIMITED_REPLAY);
      await subscription.start(since(epoch));
      await backend.append(channel, 'next', {});
      await recorder.reached(56);
      subscription.stop();
      expect(recorder.subscribed).toEqual([{ epoch, top: 5, recovered: false }]);
      expect(recorder.offsets).toEqual(range(6, 56));
    });

    it('from an offset beyond the top of its epoch: recovered false, at the top — no offset of that epoch is sent twice', async () => {
      await appendMany(backend, channel, 55);
      const { epoch } = await backend.position(channel);
      const recorder = new RecordingSink();
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 10, UNLIMITED_REPLAY);
      await subscription.start({ epoch, offset: 99 });
      await backend.append(channel, 'next', {});
      await recorder.reached(56);
      subscription.stop();
      expect(recorder.subscribed).toEqual([{ epoch, top: 55, recovered: false }]);
      expect(recorder.offsets).toEqual([56]);
    });

    it('at exactly the top: recovered, nothing to replay', async () => {
      await appendMany(backend, channel, 5);
      const { epoch } = await backend.position(channel);
      const recorder = new RecordingSink();
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 10, UNLIMITED_REPLAY);
      await subscription.start({ epoch, offset: 5 });
      await backend.append(channel, 'next', {});
      await recorder.reached(6);
      subscription.stop();
      expect(recorder.subscribed).toEqual([{ epoch, top: 5, recovered: true }]);
      expect(recorder.offsets).toEqual([6]);
      expect(recorder.lags).toHaveLength(1);
    });

    it('sends nothing once stopped, even mid-replay', async () => {
      await appendMany(backend, channel, 30);
      const { epoch } = await backend.position(channel);
      const recorder = new RecordingSink();
      const subscription = new ChannelSubscription(channel, backend, recorder.sink, 2, UNLIMITED_REPLAY);
      recorder.onMessage = (entry) => {
        if (entry.offset === 4) subscription.stop();
      };
      await subscription.start({ epoch, offset: 0 });
      await recorder.reached(4);
      await backend.append(channel, 'after-stop', {});
      await backend.position(channel);
      expect(recorder.offsets).toEqual([1, 2, 3, 4]);
    });
  });
});

describe('memory backend expiry', () => {
  it('drops history, offsets and epoch together after HISTORY_TTL_MS untouched; publish ids outlive them', async () => {
    let now = 1_000;
    const backend = new MemoryStreamBackend(
      { historySize: 10, historyTtlMs: 500, dedupTtlMs: 10_000, historyMaxBytes: 1 << 30 },
      undefined,
      () => now,
    );
    const first = await backend.append('c', 'a', {});
    now += 499;
    expect((await backend.position('c')).epoch).toBe(first.epoch);
    now += 500;
    const renewed = await backend.position('c');
    expect(renewed.epoch).not.toBe(first.epoch);
    expect(renewed.top).toBe(0);
    expect(await backend.append('c', 'a', {})).toEqual({ epoch: first.epoch, offset: 1, duplicate: true });
    expect(await backend.append('c', 'b', {})).toEqual({ epoch: renewed.epoch, offset: 1, duplicate: false });
  });
});

describe('memory backend state', () => {
  it('keeps nothing for a channel that was only subscribed to, once its last listener left', async () => {
    const backend = new MemoryStreamBackend(LIMITS);
    const first = await backend.position('looked-at');
    const stop = await backend.listen('looked-at', { entry: () => undefined, ...silent });
    stop();
    expect((await backend.position('looked-at')).epoch).not.toBe(first.epoch);
    await backend.append('kept', 'a', {});
    const kept = await backend.position('kept');
    (await backend.listen('kept', { entry: () => undefined, ...silent }))();
    expect(await backend.position('kept')).toEqual(kept);
  });
});

describe('memory backend byte bound', () => {
  // 1 000 bytes of payload JSON each, + id and bookkeeping: 1 000 + 2 + 64 = 1 066 bytes per entry,
  // and its id remembered for de-duplication: 2 + 192 bytes.
  const payload = { text: 'x'.repeat(1000 - '{"text":""}'.length) };
  const ENTRY = 1066;
  const ID = 194;
  const APPEND = ENTRY + ID;

  it('keeps every channel together within historyMaxBytes: the oldest entries of the process go first, whichever channel holds them', async () => {
    const stored: number[] = [];
    let evicted = 0;
    const metrics = { historyStored: (bytes: number) => stored.push(bytes), historyEvicted: (entries: number) => (evicted += entries) };
    const backend = new MemoryStreamBackend({ ...LIMITS, historyMaxBytes: 10 * APPEND }, metrics);
    // A normal channel first, then a flood of fresh names.
    for (let index = 1; index <= 4; index++) await backend.append('normal', `n${index}`, payload);
    for (let index = 1; index <= 20; index++) await backend.append(`flood.${index}`, 'a1', payload);
    expect(Math.max(...stored)).toBeLessThanOrEqual(10 * APPEND);
    expect(stored.at(-1)).toBe(10 * APPEND);
    expect(evicted).toBe(14);
    // The normal channel's entries were the oldest: gone, and a reader is told where history starts.
    expect((await backend.read('normal', 0, 10)).entries).toEqual([]);
    // It keeps publishing meanwhile: a new entry is accepted (a new epoch: the channel had been dropped).
    const next = await backend.append('normal', 'n5', payload);
    expect(next).toMatchObject({ offset: 1, duplicate: false });
    expect((await backend.read('flood.20', 0, 10)).entries.map((entry) => entry.id)).toEqual(['a1']);
  });

  it('keeps the channel and epoch of an emptied channel someone listens to; a subscriber resuming into evicted entries is told', async () => {
    const backend = new MemoryStreamBackend({ ...LIMITS, historyMaxBytes: 5 * APPEND });
    const stop = await backend.listen('watched', { entry: () => undefined, ...silent });
    for (let index = 1; index <= 3; index++) await backend.append('watched', `w${index}`, payload);
    const { epoch } = await backend.position('watched');
    for (let index = 1; index <= 5; index++) await backend.append(`flood.${index}`, 'a', payload);
    expect(await backend.position('watched')).toEqual({ epoch, top: 3, lineage: [] });
    const recorder = new RecordingSink();
    const subscription = new ChannelSubscription('watched', backend, recorder.sink, 10, UNLIMITED_REPLAY);
    await subscription.start({ epoch, offset: 1 });
    subscription.stop();
    stop();
    expect(recorder.subscribed).toEqual([{ epoch, top: 3, recovered: false }]);
  });

  it('holds the publish ids remembered for de-duplication within it too: the oldest go first, and a forgotten one is appended again', async () => {
    const stored: number[] = [];
    const metrics = { historyStored: (bytes: number) => stored.push(bytes), historyEvicted: () => undefined };
    // One entry of history, whatever the publishes; ids of 3 characters: room for five of them.
    const backend = new MemoryStreamBackend({ ...LIMITS, historySize: 1, historyMaxBytes: ENTRY + 1 + 5 * (ID + 1) }, metrics);
    for (let index = 10; index < 40; index++) await backend.append('busy', `p${index}`, payload);
    // Without them counted, 30 publishes to a channel trimmed to one entry would look like one entry.
    expect(stored.at(-1)).toBe(ENTRY + 1 + 5 * (ID + 1));
    expect(await backend.append('busy', 'p39', payload)).toMatchObject({ offset: 30, duplicate: true });
    expect(await backend.append('busy', 'p10', payload)).toMatchObject({ offset: 31, duplicate: false });
  });
});

describe('redis backend', () => {
  let backend: RedisStreamBackend;
  let admin: Redis;
  beforeEach(async () => {
    backend = redisBackend(standalone(), { historySize: 10, historyTtlMs: 60_000, dedupTtlMs: 5_000 });
    admin = new Redis(redis.url);
    await backend.whenUp();
  });
  afterEach(async () => {
    await backend.close();
    admin.disconnect();
  });

  it('sets the history TTL on the stream, counter and epoch together, and the dedup TTL on the id', async () => {
    await backend.append('ttl', 'a', {});
    const ttls = await Promise.all(
      [redisKeys.stream('ttl'), redisKeys.meta('ttl'), redisKeys.dedup('ttl', 'a')].map((key) => admin.pttl(key)),
    );
    for (const ttl of ttls.slice(0, 2)) expect(ttl).toBeGreaterThan(59_000);
    expect(ttls[2]).toBeGreaterThan(4_000);
    expect(ttls[2]).toBeLessThanOrEqual(5_000);
  });

  it('keeps the state of a channel only looked at for emptyChannelTtlMs, not the history TTL; the first append gives it that', async () => {
    const short = redisBackend(standalone(), { historySize: 10, historyTtlMs: 60_000, dedupTtlMs: 5_000, emptyChannelTtlMs: 5_000 });
    try {
      await short.whenUp();
      const names = Array.from({ length: 50 }, (_, index) => `looked.${index}.${randomUUID()}`);
      await Promise.all(names.map((name) => short.position(name)));
      const ttls = await Promise.all(names.map((name) => admin.pttl(redisKeys.meta(name))));
      for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
      expect(Math.max(...ttls)).toBeLessThanOrEqual(5_000);
      await short.append(names[0]!, 'a', {});
      expect(await admin.pttl(redisKeys.meta(names[0]!))).toBeGreaterThan(5_000);
      // Looked at again: a channel with entries keeps the history's TTL.
      await short.position(names[0]!);
      expect(await admin.pttl(redisKeys.meta(names[0]!))).toBeGreaterThan(5_000);
    } finally {
      await short.close();
    }
  });

  it('renews an empty channel this replica has subscribers on, so the epoch they hold stays current; one nobody watches expires', async () => {
    const short = redisBackend(standalone(), { historySize: 10, historyTtlMs: 60_000, dedupTtlMs: 5_000, emptyChannelTtlMs: 600 });
    try {
      await short.whenUp();
      const stop = await short.listen('watched-empty', { entry: () => undefined, ...silent });
      const { epoch } = await short.position('watched-empty');
      await short.position('unwatched-empty');
      await until('the unwatched channel to expire', async () => (await admin.exists(redisKeys.meta('unwatched-empty'))) === 0, 5_000);
      // Meanwhile the watched one was renewed (every 200 ms) and never expired: the same epoch.
      expect(await short.position('watched-empty')).toEqual({ epoch, top: 0, lineage: [] });
      await until('the watched channel to be renewed', async () => (await admin.pttl(redisKeys.meta('watched-empty'))) > 450, 5_000);
      stop();
    } finally {
      await short.close();
    }
  });

  it('gives a channel a new epoch when Redis lost its data, so no offset restarts under an old epoch', async () => {
    await backend.append('lost', 'a', {});
    const before = await backend.position('lost');
    await admin.flushall();
    const after = await backend.position('lost');
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.top).toBe(0);
    expect(await backend.append('lost', 'b', {})).toEqual({ epoch: after.epoch, offset: 1, duplicate: false });
  });

  it('ignores a malformed message on a live channel and keeps delivering', async () => {
    const recorder = new RecordingSink();
    const subscription = new ChannelSubscription('garbled', backend, recorder.sink, 10, UNLIMITED_REPLAY);
    await subscription.start(undefined);
    await admin.publish(redisKeys.live('garbled'), '{not json');
    await backend.append('garbled', 'a', {});
    await recorder.reached(1);
    subscription.stop();
    expect(recorder.offsets).toEqual([1]);
    expect(logger.warn).toHaveBeenCalledWith('Stream backend redis: ignored a malformed live message on gs:{garbled}:live');
  });

  it('leaves no pub/sub subscription behind for a subscription stopped while it registered', async () => {
    const recorder = new RecordingSink();
    const subscription = new ChannelSubscription('gone-early', backend, recorder.sink, 10, UNLIMITED_REPLAY);
    const started = subscription.start(undefined);
    subscription.stop();
    await started;
    expect(await admin.call('PUBSUB', 'NUMSUB', redisKeys.live('gone-early'))).toEqual([redisKeys.live('gone-early'), 0]);
    expect(recorder.subscribed).toEqual([]);
  });

  it('tells a live subscription about the new epoch instead of skipping: recovered false', async () => {
    await backend.append('lost-live', 'a', {});
    const recorder = new RecordingSink();
    const subscription = new ChannelSubscription('lost-live', backend, recorder.sink, 10, UNLIMITED_REPLAY);
    await subscription.start(undefined);
    await admin.flushall();
    await backend.append('lost-live', 'b', {});
    await recorder.reached(1);
    subscription.stop();
    expect(recorder.subscribed.map((s) => s.recovered)).toEqual([true, false]);
    expect(recorder.subscribed[1]).toMatchObject({ top: 0 });
    expect(recorder.offsets).toEqual([1]);
  });

  it.each<[string, number]>([
    ['more', 5],
    ['fewer', 2],
  ])(
    'after Redis lost its data, a live subscription that missed the first entries of the new epoch (%s before the loss) gets them all',
    async (_case, before) => {
      const channel = `lost-quiet-${before}`;
      await appendMany(backend, channel, before);
      // The live feed misses entries while `deaf`, as while its pub/sub connection reconnects.
      let deaf = false;
      const leaky = Object.assign(Object.create(backend) as StreamBackend, {
        listen: (name: string, listener: LiveListener) =>
          backend.listen(name, {
            entry: (epoch, entry) => (deaf ? undefined : listener.entry(epoch, entry)),
            stalled: () => listener.stalled(),
            resync: () => listener.resync(),
          }),
      });
      const recorder = new RecordingSink();
      const subscription = new ChannelSubscription(channel, leaky, recorder.sink, 2, UNLIMITED_REPLAY);
      await subscription.start(undefined);
      await admin.flushall();
      deaf = true;
      await appendMany(backend, channel, 3, 'missed');
      deaf = false;
      subscription.resync();
      await backend.append(channel, 'live', {});
      await recorder.reached(4);
      subscription.stop();
      const { epoch } = await backend.position(channel);
      expect(recorder.subscribed.slice(1)).toEqual([{ epoch, top: 0, recovered: false }]);
      expect(recorder.offsets).toEqual(range(1, 4));
    },
  );

  it('after Redis lost its data, a client resuming with the old epoch gets the new epoch from its first entry', async () => {
    await appendMany(backend, 'lost-moved', 7);
    const before = await backend.position('lost-moved');
    await admin.flushall();
    await appendMany(backend, 'lost-moved', 3, 'after');
    const recorder = new RecordingSink();
    const subscription = new ChannelSubscription('lost-moved', backend, recorder.sink, 10, UNLIMITED_REPLAY);
    await subscription.start({ epoch: before.epoch, offset: 7 });
    await backend.append('lost-moved', 'live', {});
    await recorder.reached(4);
    subscription.stop();
    expect(recorder.subscribed).toEqual([{ epoch: (await backend.position('lost-moved')).epoch, top: 0, recovered: false }]);
    expect(recorder.offsets).toEqual([1, 2, 3, 4]);
  });

  it('does not take a hole it cannot see yet for a loss: a live entry ahead of what the node it reads has committed waits, and the hole is filled in order', async () => {
    await appendMany(backend, 'ahead', 2);
    const { epoch } = await backend.position('ahead');
    const recorder = new RecordingSink();
    const subscription = new ChannelSubscription('ahead', backend, recorder.sink, 10, UNLIMITED_REPLAY);
    await subscription.start(undefined);
    // As a live entry committed on a master this node's state lags behind (a promotion) would come.
    subscription.entry(epoch, { offset: 5, id: 'from-elsewhere', payload: {} });
    await appendMany(backend, 'ahead', 3, 'later');
    await recorder.reached(5);
    subscription.stop();
    expect(recorder.subscribed).toEqual([{ epoch, top: 2, recovered: true }]);
    expect(recorder.offsets).toEqual([3, 4, 5]);
  });

  it('answers BackendUnavailableError at once while Redis is down, and works again once it is back; reports errors and up/down', async () => {
    const own = await RedisServer.start();
    const observed = { backendError: jest.fn(), backendUp: jest.fn() };
    const isolated = new RedisStreamBackend(
      {
        historySize: 10,
        historyTtlMs: 0,
        dedupTtlMs: 5_000,
        topology: { kind: 'standalone', url: own.url },
        commandTimeoutMs: 500,
        minReplicas: 0,
        replicaTimeoutMs: 1000,
        emptyChannelTtlMs: 60_000,
      },
      logger,
      observed,
    );
    try {
      await isolated.whenUp();
      await isolated.append('down', 'a', {});
      await own.stop();
      await expect(isolated.append('down', 'b', {})).rejects.toBeInstanceOf(BackendUnavailableError);
      await expect(isolated.position('down')).rejects.toBeInstanceOf(BackendUnavailableError);
      expect(observed.backendError.mock.calls).toEqual([['append'], ['position']]);
      const back = await own.restart();
      try {
        await isolated.whenUp();
        // Without persistence the restart lost everything: a new epoch, offsets from 1.
        expect(await isolated.append('down', 'b', {})).toMatchObject({ offset: 1, duplicate: false });
        expect(observed.backendUp.mock.calls).toEqual([[true], [false], [true]]);
      } finally {
        await back.stop();
      }
    } finally {
      await isolated.close();
    }
  });
});

describe('redis cluster backend', () => {
  it('spreads channels over the shards and carries each one live on its own shard only (sharded pub/sub)', async () => {
    const backend = redisBackend({ kind: 'cluster', nodes: cluster.seeds, auth: NO_AUTH });
    const channels = Array.from({ length: 12 }, (_, index) => `spread.${index}.${randomUUID()}`);
    const recorders = channels.map(() => new RecordingSink());
    const subscriptions = channels.map(
      (channel, index) => new ChannelSubscription(channel, backend, recorders[index]!.sink, 10, UNLIMITED_REPLAY),
    );
    try {
      await backend.whenUp();
      await Promise.all(subscriptions.map((subscription) => subscription.start(undefined)));
      await Promise.all(channels.map((channel) => backend.append(channel, 'a', {})));
      await Promise.all(recorders.map((recorder) => recorder.reached(1)));
      const masters = await cluster.masters();
      // Channel names spread over every shard: 60 random ones all missing one of 3 shards has a
      // chance of 3 × (2/3)^60 (12 had 2 %, enough to fail a suite now and then); all on one
      // shard is what a key schema without the channel in its hash tag would do.
      const spread = Array.from({ length: 60 }, (_, index) => `spread.more.${index}.${randomUUID()}`);
      expect(new Set(await Promise.all(spread.map((channel) => cluster.masterOf(redisKeys.live(channel)))))).toEqual(new Set(masters));
      const owners = await Promise.all(channels.map((channel) => cluster.masterOf(redisKeys.live(channel))));
      for (const [index, channel] of channels.entries()) {
        for (const port of masters) {
          const node = new Redis(port, '127.0.0.1');
          try {
            const [, sharded] = (await node.call('PUBSUB', 'SHARDNUMSUB', redisKeys.live(channel))) as [string, number];
            const [, plain] = (await node.call('PUBSUB', 'NUMSUB', redisKeys.live(channel))) as [string, number];
            expect({ channel, port, sharded, plain }).toEqual({ channel, port, sharded: port === owners[index] ? 1 : 0, plain: 0 });
          } finally {
            node.disconnect();
          }
        }
      }
    } finally {
      for (const subscription of subscriptions) subscription.stop();
      await backend.close();
    }
  });
});
