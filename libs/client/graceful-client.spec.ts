import type { IncomingMessage } from 'node:http';
import { Subject, firstValueFrom, filter } from 'rxjs';
import WebSocket, { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { ClientEvent } from './events.js';
import { GracefulClient, RefusedError, type GracefulClientOptions } from './graceful-client.js';
import { MemoryStorage } from './storage.js';
import type { SocketFactory } from './transport.js';

const HELLO = { type: 'hello', protocol: 1, serverId: 'scripted', sessionId: 's', heartbeatMs: 25_000, maxPayload: 65_536 };

type Frame = Record<string, unknown> & { type: string };

/** A scripted server on port 0 (speaking `protocol`): every frame a client sends, and a hook to answer it. */
async function scriptedServer(
  onConnection: (socket: ServerSocket, frames: Frame[], request: IncomingMessage) => void,
  protocol: 'graceful.v1' | 'graceful.v2' = 'graceful.v1',
) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => protocol });
  await new Promise((resolve) => wss.once('listening', resolve));
  const received: Frame[] = [];
  const arrivals: (() => void)[] = [];
  wss.on('connection', (socket, request) => {
    const frames: Frame[] = [];
    socket.on('message', (data) => {
      const frame = JSON.parse((data as Buffer).toString()) as Frame;
      frames.push(frame);
      received.push(frame);
      for (const wake of arrivals.splice(0)) wake();
    });
    onConnection(socket, frames, request);
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    wss,
    received,
    /** Resolves once `count` frames of `type` have arrived (over all connections). */
    async until(type: string, count: number): Promise<Frame[]> {
      for (;;) {
        const matching = received.filter((frame) => frame.type === type);
        if (matching.length >= count) return matching;
        await new Promise<void>((resolve) => arrivals.push(resolve));
      }
    },
    close: () => {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
    },
  };
}

const nodeSockets: SocketFactory = (url, protocols, token) =>
  new WebSocket(url, protocols, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });

function client(options: Omit<GracefulClientOptions, 'createSocket'>): GracefulClient {
  return new GracefulClient({ createSocket: nodeSockets, reconnectBaseMs: 10, reconnectMaxMs: 50, ...options });
}

const event = <T extends ClientEvent['type']>(c: GracefulClient, type: T) =>
  firstValueFrom(c.events$.pipe(filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type)));

describe('GracefulClient against a scripted server', () => {
  let server: Awaited<ReturnType<typeof scriptedServer>> | undefined;
  let subject: GracefulClient | undefined;
  afterEach(() => {
    subject?.close();
    server?.close();
    subject = undefined;
    server = undefined;
  });

  it("keeps unanswered work within the hello's maxInFlight, sending more as answers arrive", async () => {
    server = await scriptedServer((socket) => socket.send(JSON.stringify({ ...HELLO, maxInFlight: 2 })));
    subject = client({ url: server.url });
    subject.connect();
    const results = [1, 2, 3, 4].map((n) => subject!.request({ n }).catch((err: unknown) => err));
    await server.until('request', 2);
    const socket = [...server.wss.clients][0]!;
    // Still two: the third waits for an answer.
    await new Promise((resolve) => socket.once('pong', resolve).ping());
    expect(server.received.filter((frame) => frame.type === 'request')).toHaveLength(2);
    const [first] = await server.until('request', 1);
    socket.send(JSON.stringify({ type: 'result', seq: 1, id: first!.id, payload: { done: 1 } }));
    await server.until('request', 3);
    expect(await results[0]).toEqual({ done: 1 });
    expect(server.received.filter((frame) => frame.type === 'request')).toHaveLength(3);
  });

  it('sends DRAINING work again on the next connection, and rejects work refused for good, once', async () => {
    let connection = 0;
    server = await scriptedServer((socket, frames) => {
      const number = ++connection;
      socket.send(JSON.stringify(HELLO));
      socket.on('message', () => {
        const frame = frames.at(-1)!;
        if (frame.type !== 'request') return;
        if (frame.payload && (frame.payload as { bad?: boolean }).bad) {
          socket.send(JSON.stringify({ type: 'error', code: 'BAD_MESSAGE', message: 'no', id: frame.id }));
        } else if (number === 1) {
          socket.send(JSON.stringify({ type: 'error', code: 'DRAINING', message: 'draining', id: frame.id }));
          socket.send(JSON.stringify({ type: 'close', lastSeq: 0 }));
          socket.close(1001);
        } else socket.send(JSON.stringify({ type: 'result', seq: 1, id: frame.id, payload: { on: number } }));
      });
    });
    subject = client({ url: server.url });
    subject.connect();
    await event(subject, 'healthy');
    const bad = subject.request({ bad: true });
    await expect(bad).rejects.toEqual(new RefusedError('BAD_MESSAGE', 'no'));
    expect(await subject.request({ n: 1 }, { id: 'kept' })).toEqual({ on: 2 });
    expect(server.received.filter((frame) => frame.id === 'kept')).toHaveLength(2);
  });

  it('graceful.v2: offers v2 before v1, takes channel messages without seq, and asks again for entries the marker names but that never arrived', async () => {
    const offered: (string | undefined)[] = [];
    server = await scriptedServer((socket, frames, request) => {
      offered.push(request.headers['sec-websocket-protocol']);
      socket.send(JSON.stringify({ ...HELLO, protocol: 2 }));
      socket.on('message', () => {
        if (frames.at(-1)!.type !== 'subscribe' || offered.length > 1) return;
        socket.send(JSON.stringify({ type: 'subscribed', seq: 1, channel: 'prices', epoch: 'e1', top: 0, recovered: true }));
        for (const offset of [1, 2])
          socket.send(JSON.stringify({ type: 'message', channel: 'prices', offset, id: `m${offset}`, payload: {} }));
        // Offset 3 is named sent, but never arrives.
        socket.send(JSON.stringify({ type: 'close', lastSeq: 1, channels: { prices: { epoch: 'e1', offset: 3 } } }));
      });
    }, 'graceful.v2');
    subject = client({ url: server.url });
    const channelEvents: string[] = [];
    subject
      .channel('prices')
      .subscribe((e) => channelEvents.push(e.type === 'entry' ? `entry ${e.offset}` : e.type === 'gap' ? `gap ${e.from}-${e.to}` : e.type));
    const seqEvents: ClientEvent[] = [];
    subject.events$.pipe(filter((e) => e.type === 'seq-gap' || e.type === 'seq-backwards')).subscribe((e) => seqEvents.push(e));
    subject.connect();
    const subscribes = await server.until('subscribe', 2);
    expect(subscribes[1]).toEqual({ type: 'subscribe', channel: 'prices', since: { epoch: 'e1', offset: 2 } });
    // The marker's lastSeq, acked at once; channel messages are never acked.
    expect(new Set(server.received.filter((frame) => frame.type === 'ack').map((frame) => frame.seq))).toEqual(new Set([1]));
    expect(offered[0]).toBe('graceful.v2,graceful.v1');
    expect(channelEvents).toEqual(['subscribed', 'entry 1', 'entry 2', 'gap 3-3']);
    expect(seqEvents).toEqual([]);
  });

  it('resumes channels and re-sends unconfirmed publishes with their ids from a stored state (a reload)', async () => {
    server = await scriptedServer((socket, frames) => {
      socket.send(JSON.stringify(HELLO));
      socket.on('message', () => {
        const frame = frames.at(-1)!;
        if (frame.type === 'subscribe') {
          socket.send(JSON.stringify({ type: 'subscribed', seq: 1, channel: 'prices', epoch: 'e1', top: 7, recovered: true }));
          socket.send(JSON.stringify({ type: 'message', seq: 2, channel: 'prices', offset: 8, id: 'x', payload: {} }));
        }
      });
    });
    const storage = new MemoryStorage();
    const before = client({ url: server.url, storage, idPrefix: 'page1' });
    before.channel('prices').subscribe();
    before.connect();
    await firstValueFrom(before.channel('prices').pipe(filter((e) => e.type === 'entry')));
    const pending = [before.publish('prices', { n: 1 }), before.publish('prices', { n: 2 })];
    await server.until('publish', 2);
    // The page goes away before any confirmation.
    before.close();
    await Promise.all(pending.map((p) => expect(p).rejects.toMatchObject({ code: 'CLOSED' })));

    subject = client({ url: server.url, storage, idPrefix: 'page2' });
    expect(subject.outstanding).toEqual({ requests: 0, publishes: 2 });
    subject.channel('prices').subscribe();
    subject.connect();
    const subscribes = await server.until('subscribe', 2);
    expect(subscribes[1]).toEqual({ type: 'subscribe', channel: 'prices', since: { epoch: 'e1', offset: 8 } });
    const publishes = await server.until('publish', 4);
    expect(publishes.map((frame) => frame.id)).toEqual(['page1-p1', 'page1-p2', 'page1-p1', 'page1-p2']);
  });

  it('takes back all the work a stored state holds, even more than its own outbox limit', () => {
    const storage = new MemoryStorage();
    const work = ['a', 'b', 'c'].map((id) => ({ kind: 'publish' as const, id, channel: 'orders', payload: {} }));
    storage.save({ cursors: {}, work });
    subject = client({ url: 'ws://127.0.0.1:9/ws', storage, outboxLimit: 2 });
    expect(subject.outstanding).toEqual({ requests: 0, publishes: 3 });
    expect(subject.isFull('publish')).toBe(true);
  });

  it('asks the token provider again, to refresh, after the server refused the token with 401', async () => {
    server = await scriptedServer((socket) => socket.send(JSON.stringify(HELLO)));
    server.wss.options.verifyClient = ({ req }: { req: IncomingMessage }) => req.headers.authorization === 'Bearer fresh';
    const asked: boolean[] = [];
    subject = client({ url: server.url, token: ({ refresh }) => (asked.push(refresh), refresh ? 'fresh' : 'stale') });
    subject.connect();
    await event(subject, 'healthy');
    expect(asked).toEqual([false, true]);
  });

  it('cuts a reconnect wait short when a wake signal comes (a page back online or visible again)', async () => {
    server = await scriptedServer((socket) => socket.close(1011, 'not now'));
    const wake = new Subject<string>();
    // A backoff of up to an hour: only the wake can bring the next attempt soon.
    subject = client({ url: server.url, reconnectBaseMs: 3_600_000, reconnectMaxMs: 3_600_000, wakeSignals: wake });
    const attempts: number[] = [];
    subject.events$.pipe(filter((e) => e.type === 'connecting')).subscribe(() => attempts.push(attempts.length + 1));
    subject.connect();
    const scheduled = await event(subject, 'reconnect-scheduled');
    expect(scheduled.delayMs).toBeGreaterThan(0);
    expect(attempts).toEqual([1]);
    const next = event(subject, 'connecting');
    wake.next('network back online');
    await next;
    expect(attempts).toEqual([1, 2]);
  });

  it('pings a quiet server, stays connected while it answers, and gives up after two silent periods', async () => {
    let answer = true;
    server = await scriptedServer((socket, frames) => {
      socket.send(JSON.stringify({ ...HELLO, heartbeatMs: 100 }));
      socket.on('message', () => {
        if (frames.at(-1)!.type === 'ping' && answer) socket.send('{"type":"pong"}');
      });
    });
    subject = client({ url: server.url });
    subject.connect();
    await event(subject, 'healthy');
    await server.until('ping', 3);
    answer = false;
    const ended = await event(subject, 'ended');
    expect(ended).toEqual({ type: 'ended', how: 'failure', wasHealthy: true, error: 'no frames for 200 ms (heartbeat unanswered)' });
  });
});
