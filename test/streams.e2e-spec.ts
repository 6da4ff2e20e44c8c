import { ChannelMetaField, redisKeys } from '@app/contract';
import { ErrorCode } from '@app/protocol';
import { ClientProcess, RedisServer, ServerProcess, TcpForwarder, until } from '@app/standin';
import { Redis } from 'ioredis';
import { FrameRecorder, ofType } from './support/frame-recorder.js';
import { floodFreshNames } from './support/stream-flood.js';

/** Acks whatever arrives, as a real client does, so a drain can complete. */
function ackEverything(client: FrameRecorder): void {
  client.socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { seq?: number; lastSeq?: number };
    const seq = frame.lastSeq ?? frame.seq;
    if (seq !== undefined) client.send({ type: 'ack', seq });
  });
}

describe('streams on one server (memory backend)', () => {
  let server: ServerProcess;
  let client: FrameRecorder;
  beforeAll(async () => {
    server = await ServerProcess.start({ DATA_INTERVAL_MS: '3600000', MAX_SUBSCRIPTIONS: '2' });
  });
  afterAll(() => server.stop());
  beforeEach(async () => {
    client = await FrameRecorder.json(server.wsUrl);
    await client.next(ofType('hello'));
  });
  afterEach(() => client.socket.terminate());

  it('confirms a publish with its offset once, and delivers it to a subscriber in order, without a seq (graceful.v2)', async () => {
    client.send({ type: 'subscribe', channel: 'orders' });
    const subscribed = await client.next(ofType('subscribed'));
    expect(subscribed).toMatchObject({ channel: 'orders', top: 0, recovered: true });
    client.send({ type: 'publish', id: 'p1', channel: 'orders', payload: { qty: 3 } });
    const message = await client.next(ofType('message'));
    const published = await client.next(ofType('published'));
    expect(message).toEqual({ type: 'message', channel: 'orders', offset: 1, id: 'p1', payload: { qty: 3 } });
    expect(published).toEqual({ type: 'published', seq: subscribed.seq + 1, id: 'p1', channel: 'orders', offset: 1, duplicate: false });
    client.send({ type: 'publish', id: 'p1', channel: 'orders', payload: { qty: 3 } });
    expect(await client.next(ofType('published'))).toMatchObject({ offset: 1, duplicate: true });
  });

  it('numbers channel messages for a client that speaks only graceful.v1', async () => {
    const v1 = await FrameRecorder.json(server.wsUrl, {}, 'graceful.v1');
    try {
      expect(await v1.next(ofType('hello'))).toMatchObject({ protocol: 1 });
      v1.send({ type: 'subscribe', channel: 'orders.v1' });
      const subscribed = await v1.next(ofType('subscribed'));
      v1.send({ type: 'publish', id: 'p1', channel: 'orders.v1', payload: {} });
      expect(await v1.next(ofType('message'))).toEqual({
        type: 'message',
        seq: subscribed.seq + 1,
        channel: 'orders.v1',
        offset: 1,
        id: 'p1',
        payload: {},
      });
      expect(await v1.next(ofType('published'))).toMatchObject({ seq: subscribed.seq + 2 });
    } finally {
      v1.socket.terminate();
    }
  });

  it('resumes with since: the entries after it, then live', async () => {
    client.send({ type: 'subscribe', channel: 'resume' });
    const { epoch } = await client.next(ofType('subscribed'));
    for (const id of ['a', 'b', 'c']) client.send({ type: 'publish', id, channel: 'resume', payload: {} });
    await client.next((frame) => frame.type === 'published' && frame.id === 'c');
    client.send({ type: 'subscribe', channel: 'resume', since: { epoch, offset: 1 } });
    const again = await client.next(ofType('subscribed'));
    expect(again).toMatchObject({ epoch, top: 3, recovered: true });
    expect([await client.next(ofType('message')), await client.next(ofType('message'))].map((m) => m.offset)).toEqual([2, 3]);
  });

  it.each([
    ['a bad channel name', { type: 'subscribe', channel: 'no spaces' }, ErrorCode.BAD_MESSAGE, { channel: 'no spaces' }],
    ['a since without an epoch', { type: 'subscribe', channel: 'c', since: { offset: 1 } }, ErrorCode.BAD_MESSAGE, { channel: 'c' }],
    ['unsubscribe of a channel not subscribed', { type: 'unsubscribe', channel: 'never' }, ErrorCode.BAD_MESSAGE, { channel: 'never' }],
    ['a publish without a payload object', { type: 'publish', id: 'x1', channel: 'c', payload: 5 }, ErrorCode.BAD_MESSAGE, { id: 'x1' }],
  ])('answers %s with an error naming it, and keeps the connection', async (_name, frame, code, about) => {
    client.send(frame);
    expect(await client.next(ofType('error'))).toMatchObject({ code, ...about });
    client.send({ type: 'subscribe', channel: 'still-served' });
    expect(await client.next(ofType('subscribed'))).toMatchObject({ channel: 'still-served' });
  });

  it('caps subscriptions per connection (MAX_SUBSCRIPTIONS); re-subscribing a channel replaces it', async () => {
    for (const channel of ['one', 'two', 'one']) {
      client.send({ type: 'subscribe', channel });
      await client.next(ofType('subscribed'));
    }
    client.send({ type: 'subscribe', channel: 'three' });
    expect(await client.next(ofType('error'))).toMatchObject({
      code: ErrorCode.BAD_MESSAGE,
      channel: 'three',
      message: 'at most 2 channels per connection',
    });
    expect(client.frames.filter(ofType('subscribed')).map((frame) => frame.channel)).toEqual(['one', 'two', 'one']);
  });
});

describe('streams on Redis across replicas', () => {
  let redis: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
  });

  const redisEnv = (): Record<string, string> => ({ STREAM_BACKEND: 'redis', REDIS_URL: redis.url, DATA_INTERVAL_MS: '3600000' });

  it('delivers to a fresh subscription the entry its own connection published right after subscribing', async () => {
    const server = await ServerProcess.start(redisEnv());
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      // Back to back, on fresh channels: the subscription reads the top while the append runs.
      for (let round = 1; round <= 10; round++) {
        const channel = `own-${round}`;
        client.send({ type: 'subscribe', channel });
        client.send({ type: 'publish', id: `mine-${round}`, channel, payload: {} });
        const subscribed = await client.next((frame) => frame.type === 'subscribed' && frame.channel === channel);
        expect(subscribed).toMatchObject({ top: 0 });
        expect(await client.next((frame) => frame.type === 'message' && frame.channel === channel)).toMatchObject({
          offset: 1,
          id: `mine-${round}`,
        });
      }
      client.socket.terminate();
    } finally {
      await server.stop();
    }
  });

  it('appends the same publish sent to two replicas once', async () => {
    const [a, b] = await Promise.all([
      ServerProcess.start({ ...redisEnv(), SERVER_ID: 'a' }),
      ServerProcess.start({ ...redisEnv(), SERVER_ID: 'b' }),
    ]);
    try {
      const [toA, toB] = await Promise.all([FrameRecorder.json(a.wsUrl), FrameRecorder.json(b.wsUrl)]);
      toA.send({ type: 'publish', id: 'same', channel: 'once', payload: { n: 1 } });
      const first = await toA.next(ofType('published'));
      toB.send({ type: 'publish', id: 'same', channel: 'once', payload: { n: 1 } });
      const second = await toB.next(ofType('published'));
      expect([first, second].map(({ offset, duplicate }) => ({ offset, duplicate }))).toEqual([
        { offset: 1, duplicate: false },
        { offset: 1, duplicate: true },
      ]);
      expect(await admin.xlen(redisKeys.stream('once'))).toBe(1);
      toA.socket.terminate();
      toB.socket.terminate();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('keeps a subscriber whole while it moves by drain and by SIGKILL: every offset once, in order, to the last', async () => {
    const env = redisEnv();
    const replicas = new Map<string, ServerProcess>();
    const service = new TcpForwarder();
    const url = `ws://127.0.0.1:${await service.listen()}/ws`;
    const addReplica = async (id: string): Promise<ServerProcess> => {
      const replica = await ServerProcess.start({ ...env, SERVER_ID: id });
      replicas.set(id, replica);
      service.addEndpoint({ id, host: '127.0.0.1', port: replica.port });
      return replica;
    };
    const remove = (id: string): ServerProcess => {
      service.removeEndpoint(id);
      return replicas.get(id)!;
    };
    let publisher: ClientProcess | undefined;
    let subscriber: ClientProcess | undefined;
    try {
      await addReplica('r1');
      publisher = ClientProcess.spawn({
        SERVER_URL: url,
        REQUEST_INTERVAL_MS: '0',
        PUBLISH_CHANNEL: 'moves',
        PUBLISH_INTERVAL_MS: '10',
        RECONNECT_BASE_MS: '10',
      });
      subscriber = ClientProcess.spawn({
        SERVER_URL: url,
        REQUEST_INTERVAL_MS: '0',
        CHANNELS: 'moves',
        RECONNECT_BASE_MS: '10',
        STATS_INTERVAL_MS: '50',
      });
      await subscriber.expectFrame(({ type, channel }) => type === 'subscribed' && channel === 'moves');
      // Entries flowing, and the subscriber holds a position to resume from (which offset it
      // started at depends on how fast it subscribed).
      await subscriber.expectFrame(({ type }) => type === 'message');

      // Drain: both clients move from r1 to r2; the subscriber resumes with since.
      await addReplica('r2');
      const r1 = remove('r1');
      const beforeDrain = subscriber.log.lines.length;
      r1.signal('SIGTERM');
      expect(await r1.exited).toEqual({ code: 0, signal: null });
      await subscriber.expectFrame(({ type, serverId }) => type === 'hello' && serverId === 'r2', beforeDrain);
      await subscriber.expectFrame(({ type, recovered }) => type === 'subscribed' && recovered === true, beforeDrain);

      // Crash: r2 dies without a drain; both reconnect to r3 and the subscriber recovers from Redis.
      await addReplica('r3');
      const r2 = remove('r2');
      const beforeCrash = subscriber.log.lines.length;
      await r2.kill();
      await subscriber.expectFrame(({ type, serverId }) => type === 'hello' && serverId === 'r3', beforeCrash);
      await subscriber.expectFrame(({ type, recovered }) => type === 'subscribed' && recovered === true, beforeCrash);

      const published = await publisher.finish();
      const top = Number(await admin.hget(redisKeys.meta('moves'), ChannelMetaField.top));
      // The subscriber has everything once the last confirmed entry reached it.
      await subscriber.expectFrame(({ type, offset }) => type === 'message' && offset === top);
      const received = await subscriber.finish();
      expect(published.stream?.published).toMatchObject({ created: top, acked: top, outstanding: 0 });
      expect(await admin.xlen(redisKeys.stream('moves'))).toBe(top);
      expect(received.stream).toMatchObject({ gaps: 0, unrecoverable: 0, lastOffset: { moves: { min: top, max: top } } });
      expect(received.frames.seqGaps).toBe(0);
    } finally {
      await publisher?.kill();
      await subscriber?.kill();
      await Promise.all([...replicas.values()].map((replica) => replica.stop()));
      await service.close();
    }
  });

  it('during a drain: refuses publish and subscribe with DRAINING, lets live messages flow until the close marker and none after', async () => {
    const [a, b] = await Promise.all([
      ServerProcess.start({ ...redisEnv(), SERVER_ID: 'a' }),
      ServerProcess.start({ ...redisEnv(), SERVER_ID: 'b' }),
    ]);
    const publisher = ClientProcess.spawn({
      SERVER_URL: b.wsUrl,
      REQUEST_INTERVAL_MS: '0',
      PUBLISH_CHANNEL: 'marker',
      PUBLISH_INTERVAL_MS: '10',
    });
    try {
      const subscriber = await FrameRecorder.json(a.wsUrl);
      ackEverything(subscriber);
      subscriber.send({ type: 'subscribe', channel: 'marker' });
      await subscriber.next(ofType('message'));
      // Holds the drain open between notice and marker; 1.5 s is ample for the frames sent below.
      subscriber.send({ type: 'request', id: 'hold', payload: { workMs: 1500 } });
      // Frames on one socket are handled in order: once `probe` is answered, `hold` is in flight.
      subscriber.send({ type: 'request', id: 'probe', payload: {} });
      await subscriber.next((frame) => frame.type === 'result' && frame.id === 'probe');
      a.signal('SIGTERM');
      const notice = await subscriber.next(ofType('shutdown'));
      subscriber.send({ type: 'publish', id: 'late', channel: 'marker', payload: {} });
      subscriber.send({ type: 'subscribe', channel: 'late' });
      const marker = await subscriber.next(ofType('close'));
      expect(await subscriber.closed).toEqual({ code: 1001, reason: 'server draining' });

      const duringDrain = subscriber.frames.slice(subscriber.frames.indexOf(notice) + 1, subscriber.frames.indexOf(marker));
      expect(duringDrain.filter(ofType('error'))).toEqual([
        expect.objectContaining({ code: ErrorCode.DRAINING, id: 'late' }),
        expect.objectContaining({ code: ErrorCode.DRAINING, channel: 'late' }),
      ]);
      expect(duringDrain.filter(ofType('message')).length).toBeGreaterThan(0);
      expect(subscriber.frames.slice(subscriber.frames.indexOf(marker) + 1)).toEqual([]);
      // The marker names where the channel stopped: the last message this subscriber received.
      const { epoch } = subscriber.frames.find(ofType('subscribed'))!;
      expect(marker.channels).toEqual({ marker: { epoch, offset: subscriber.frames.filter(ofType('message')).at(-1)!.offset } });
      expect(await a.exited).toEqual({ code: 0, signal: null });
    } finally {
      await publisher.kill();
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('answers UNAVAILABLE while Redis is down, keeps serving everything else, and the outbox re-sends once it is back', async () => {
    const own = await RedisServer.start();
    let server: ServerProcess | undefined;
    let back: RedisServer | undefined;
    try {
      server = await ServerProcess.start({
        STREAM_BACKEND: 'redis',
        REDIS_URL: own.url,
        DATA_INTERVAL_MS: '3600000',
        REDIS_TIMEOUT_MS: '300',
      });
      const client = await FrameRecorder.json(server.wsUrl);
      ackEverything(client);
      await own.stop();
      await server.expectEvent('backend_down');
      client.send({ type: 'publish', id: 'while-down', channel: 'outage', payload: {} });
      expect(await client.next(ofType('error'))).toMatchObject({ code: ErrorCode.UNAVAILABLE, id: 'while-down' });
      client.send({ type: 'request', id: 'still-served', payload: {} });
      expect(await client.next(ofType('result'))).toMatchObject({ id: 'still-served' });
      expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(200);

      back = await own.restart();
      await server.expectEvent('backend_up', undefined, server.log.indexOfEvent('backend_down'));
      client.send({ type: 'publish', id: 'while-down', channel: 'outage', payload: {} });
      expect(await client.next(ofType('published'))).toMatchObject({ id: 'while-down', offset: 1, duplicate: false });
      expect(server.log.events('backend_down')).toHaveLength(1);
      client.socket.terminate();
    } finally {
      await server?.stop();
      await back?.stop();
    }
  });
});

describe('streams on Redis: subscribing to names nobody publishes to', () => {
  it('leaves no lasting key: 200 fresh names subscribed and left carry at most a minute of state', async () => {
    const redis = await RedisServer.start();
    const admin = new Redis(redis.url);
    const server = await ServerProcess.start({ STREAM_BACKEND: 'redis', REDIS_URL: redis.url, DATA_INTERVAL_MS: '3600000' });
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      for (let index = 0; index < 200; index++) {
        client.send({ type: 'subscribe', channel: `probe.${index}` });
        await client.next(ofType('subscribed'));
        client.send({ type: 'unsubscribe', channel: `probe.${index}` });
      }
      const keys = await admin.keys('gs:*');
      expect(keys).toHaveLength(200);
      // Each would have lived HISTORY_TTL_MS (a day) before; now the state of a channel only looked at.
      const ttls = await Promise.all(keys.map((key) => admin.pttl(key)));
      expect(Math.max(...ttls)).toBeLessThanOrEqual(60_000);
      expect(Math.min(...ttls)).toBeGreaterThan(0);
      client.socket.terminate();
    } finally {
      await server.stop();
      admin.disconnect();
      await redis.stop();
    }
  });
});

/*
 * Redis at its maxmemory with the policy the Redis component sets (allkeys-lru): a flood of
 * fresh channel names evicts the least recently used keys instead of refusing everyone's writes,
 * and whatever it evicts, offsets never restart under a live epoch — the counter and the epoch
 * live in one key, and a channel whose state is gone starts a new epoch.
 */
describe('streams on a Redis at its maxmemory (allkeys-lru)', () => {
  it('keeps a normal publisher confirmed through a flood of fresh names, holds Redis at its bound, and tells a subscriber what was evicted', async () => {
    const maxmemory = 8 * 1024 * 1024;
    // Redis' LRU is approximate: with its default 5 samples per eviction, the oldest key could
    // outlive the flood (seen once in CI). 64 samples, its maximum, make it all but exact.
    const redis = await RedisServer.launch({
      args: ['--maxmemory', String(maxmemory), '--maxmemory-policy', 'allkeys-lru', '--maxmemory-samples', '64'],
    });
    const admin = new Redis(redis.url);
    const server = await ServerProcess.start({
      STREAM_BACKEND: 'redis',
      REDIS_URL: redis.url,
      DATA_INTERVAL_MS: '3600000',
      INBOUND_BYTES_PER_SEC: String(64 * 1024 * 1024),
    });
    try {
      const flooder = await FrameRecorder.json(server.wsUrl);
      const normal = await FrameRecorder.json(server.wsUrl);
      await Promise.all([flooder.next(ofType('hello')), normal.next(ofType('hello'))]);
      flooder.send({ type: 'subscribe', channel: 'first' });
      const { epoch } = await flooder.next(ofType('subscribed'));
      flooder.send({ type: 'publish', id: 'f0', channel: 'first', payload: { data: 'x'.repeat(60_000) } });
      await flooder.next(ofType('published'));
      flooder.send({ type: 'unsubscribe', channel: 'first' });
      // Redis' LRU clock ticks once a second: until it has, the first channel's keys are no older
      // than the flood's, and the LRU may keep them (seen again under load with 64 samples).
      await until(
        "the first channel's keys to age in Redis' LRU clock",
        async () => Number(await admin.call('OBJECT', 'IDLETIME', redisKeys.meta('first'))) >= 2,
      );
      await floodFreshNames(flooder, normal);
      expect(normal.frames.filter((frame) => frame.type === 'error')).toEqual([]);
      // Whatever was evicted of its keys, what the channel holds under its epoch ends at its counter, without a hole.
      const top = Number(await admin.hget(redisKeys.meta('orders'), ChannelMetaField.top));
      const offsets = (await admin.xrange(redisKeys.stream('orders'), '-', '+')).map(([streamId]) => Number(streamId.split('-')[0]));
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, index) => top - offsets.length + 1 + index));
      const memory = await admin.info('memory');
      expect(Number(/^used_memory:(\d+)/m.exec(memory)?.[1])).toBeLessThanOrEqual(maxmemory * 1.1);
      expect(Number(/^evicted_keys:(\d+)/m.exec(await admin.info('stats'))?.[1])).toBeGreaterThan(0);
      // The first channel's keys were the least recently used, so the LRU took them (at least
      // one of its state and its history): a subscriber resuming there is told.
      expect(await admin.exists(redisKeys.meta('first'), redisKeys.stream('first'))).toBeLessThan(2);
      flooder.send({ type: 'subscribe', channel: 'first', since: { epoch, offset: 0 } });
      expect(await flooder.next(ofType('subscribed'))).toMatchObject({ channel: 'first', recovered: false });
      flooder.socket.terminate();
      normal.socket.terminate();
    } finally {
      await server.stop();
      admin.disconnect();
      await redis.stop();
    }
  });
});
