import { jest } from '@jest/globals';
import { CloseCode, type ServerMessage } from '@app/protocol';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type WebSocket from 'ws';
import { JsonCodec } from './codec/index.js';
import { DrainWake } from './drain-wake.js';
import type { DataFeed } from './feed/index.js';
import type { Heartbeat } from './heartbeat.js';
import type { InboundThrottle } from './inbound/inbound-throttle.js';
import { Outbound } from './outbound.js';
import { PeerLog } from './peer-log.js';
import { Peer } from './peer.js';
import { RequestExecutor } from './request-executor.js';
import type { SessionMetrics } from './session-metrics.js';
import { Session, type DrainNotice } from './session.js';
import { TickWrites } from './tick-writes.js';
import type { SessionStreams } from '../streams/subscription/session-streams.js';

/*
 * The drain sequence of one connection, without a process or a network: a session built from its
 * real sender, codec and request executor around a socket that records what it was given and
 * closes when the test says the peer answered. Work takes time on Jest's fake clock.
 */

/** The part of a `ws` socket a session touches; `peerCloses` is the peer's answer to our close frame. */
class FakeSocket extends EventEmitter {
  readyState: number = 1;
  readonly protocol = 'graceful.v2';
  readonly extensions = '';
  bufferedAmount = 0;
  readonly sent: ServerMessage[] = [];
  closedWith: { code: number; reason: string } | undefined;
  send(data: string | Buffer, _options: unknown, done?: () => void): void {
    this.sent.push(JSON.parse(String(data)) as ServerMessage);
    done?.();
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.peerCloses(1006);
  }
  peerCloses(code: number): void {
    this.readyState = 3;
    this.emit('close', code);
  }
  /** A frame from the peer, as ws delivers it. */
  receive(message: Record<string, unknown>): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
  pause(): void {}
  resume(): void {}
}

const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
const metrics: SessionMetrics = {
  connectionOpened: jest.fn(),
  connectionClosed: jest.fn(),
  frameReceived: jest.fn(),
  frameSent: jest.fn(),
  rejected: jest.fn(),
  cut: jest.fn(),
  requestStarted: () => () => undefined,
};
const NOTICE: DrainNotice = { reason: 'SIGTERM', deadlineAt: Date.now() + 20_000, reconnectJitterMs: 0 };

function session(finalDataItems = 2): { socket: FakeSocket; session: Session } {
  const socket = new FakeSocket();
  const ws = socket as unknown as WebSocket;
  const codec = new JsonCodec('graceful.v2');
  const peer = new Peer({ remoteAddress: 'p', remotePort: 1 });
  const log = new PeerLog(logger, peer);
  const outbound = new Outbound(ws, new PassThrough(), new TickWrites(), codec, 1 << 20, peer, log, metrics);
  const streams = { inFlight: 0, close: () => undefined } as unknown as SessionStreams;
  const built = new Session(
    {
      socket: ws,
      peer,
      codec,
      outbound,
      inbound: { admit: () => true, stop: () => undefined } as unknown as InboundThrottle,
      requests: new RequestExecutor(10_000, metrics),
      heartbeat: { start: () => undefined, stop: () => undefined } as unknown as Heartbeat,
      feed: { start: () => undefined, stop: () => undefined } satisfies DataFeed,
      streams,
      wake: new DrainWake(),
      log,
      observer: { sessionClosed: () => undefined },
    },
    { serverId: 'unit', finalDataItems, maxPayloadBytes: 65_536, maxInFlight: 10, heartbeatMs: 30_000, metrics, logger },
  );
  built.start();
  return { socket, session: built };
}

/** Lets the session's promise chains run (the drain waits on them between its steps). */
const settle = (): Promise<void> => jest.advanceTimersByTimeAsync(0);

describe('Session.drain', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.clearAllMocks();
  });
  afterEach(() => jest.useRealTimers());

  it('sends notice, the in-flight result, final data and the marker in that order, and closes with 1001 only after the ack', async () => {
    const { socket, session: drained } = session();
    socket.receive({ type: 'request', id: 'slow', payload: { workMs: 1000 } });
    let done = false;
    void drained.drain(NOTICE).then(() => (done = true));
    await settle();
    expect(socket.sent.map(({ type }) => type)).toEqual(['hello', 'shutdown']);
    expect(socket.sent[1]).toMatchObject({ reason: 'SIGTERM', inFlight: 1, reconnectJitterMs: 0 });

    // New work during the drain is refused, never taken and lost.
    socket.receive({ type: 'request', id: 'late', payload: {} });
    await jest.advanceTimersByTimeAsync(1000);
    const types = socket.sent.map(({ type }) => type);
    expect(types).toEqual(['hello', 'shutdown', 'error', 'result', 'data', 'data', 'close']);
    expect(socket.sent[2]).toMatchObject({ code: 'DRAINING', id: 'late' });
    const [result, first, second, marker] = socket.sent.slice(3) as [ServerMessage, ServerMessage, ServerMessage, ServerMessage];
    expect(result).toMatchObject({ id: 'slow', seq: 1 });
    expect([first, second]).toMatchObject([
      { final: true, seq: 2 },
      { final: true, seq: 3 },
    ]);
    expect(marker).toEqual({ type: 'close', lastSeq: 3 });

    // Unacked: the socket stays open however long it takes (the deadline is the caller's).
    await jest.advanceTimersByTimeAsync(5000);
    expect(socket.closedWith).toBeUndefined();
    socket.receive({ type: 'ack', seq: 3 });
    await settle();
    expect(socket.closedWith).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server draining' });
    expect(done).toBe(false);
    socket.peerCloses(CloseCode.GOING_AWAY);
    await settle();
    expect(done).toBe(true);
    expect(drained.framesFlushed).toBe(6);
  });

  it('waits for an ack of the last frame, not an earlier one', async () => {
    const { socket, session: drained } = session(1);
    void drained.drain(NOTICE);
    await settle();
    expect(socket.sent.at(-1)).toEqual({ type: 'close', lastSeq: 1 });
    socket.receive({ type: 'ack', seq: 0 });
    await settle();
    expect(socket.closedWith).toBeUndefined();
    socket.receive({ type: 'ack', seq: 1 });
    await settle();
    expect(socket.closedWith?.code).toBe(CloseCode.GOING_AWAY);
  });

  it('ends when the peer goes away mid-drain, and takes nothing it sends after our close frame', async () => {
    const { socket, session: drained } = session(1);
    socket.receive({ type: 'request', id: 'slow', payload: { workMs: 1000 } });
    let done = false;
    void drained.drain(NOTICE).then(() => (done = true));
    await settle();
    socket.peerCloses(1006);
    await settle();
    expect(done).toBe(true);
    // The request's timer was cancelled with the connection: no result is written to a closed socket.
    await jest.advanceTimersByTimeAsync(1000);
    expect(socket.sent.map(({ type }) => type)).toEqual(['hello', 'shutdown']);
    socket.receive({ type: 'request', id: 'after', payload: {} });
    expect(socket.sent.map(({ type }) => type)).toEqual(['hello', 'shutdown']);
    expect(logger.debug).toHaveBeenCalledWith(
      expect.stringContaining('after the close frame'),
      expect.objectContaining({ event: 'frame_after_close' }),
    );
  });
});
