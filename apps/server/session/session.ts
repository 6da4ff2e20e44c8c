import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { CloseCode, ErrorCode, loggable, type ClientMessage, type ProtocolVersion } from '@app/protocol';
import WebSocket, { type RawData } from 'ws';
import type { Inbound, SessionCodec } from './codec/index.js';
import type { DrainWake } from './drain-wake.js';
import { businessItem, type DataFeed } from './feed/index.js';
import type { Heartbeat } from './heartbeat.js';
import type { InboundThrottle } from './inbound/inbound-throttle.js';
import type { Outbound } from './outbound.js';
import type { PeerLog } from './peer-log.js';
import type { Peer } from './peer.js';
import type { RequestExecutor } from './request-executor.js';
import type { SessionMetrics } from './session-metrics.js';
import type { SessionStreams } from '../streams/subscription/session-streams.js';
import { logEvent } from '@app/contract';

const DRAINING_MESSAGE = 'server is draining; send this again after reconnecting';

export interface DrainNotice {
  reason: string;
  /** Epoch ms at which the server cuts this connection regardless. */
  deadlineAt: number;
  reconnectJitterMs: number;
}

/** What every session of the process shares; `SessionFactory` holds one. */
export interface SessionSettings {
  serverId: string;
  finalDataItems: number;
  maxPayloadBytes: number;
  /** Requests and publishes a peer may have unanswered at once. */
  maxInFlight: number;
  heartbeatMs: number;
  metrics: SessionMetrics;
  logger: LoggerService;
}

/** Told when a session's socket has closed, for whatever reason (the registry). */
export interface SessionObserver {
  sessionClosed(session: Session, code: number): void;
}

/** One connection's collaborators; `SessionFactory` assembles them. */
export interface SessionParts {
  socket: WebSocket;
  peer: Peer;
  codec: SessionCodec;
  outbound: Outbound;
  /** Holds the peer to its inbound budget. */
  inbound: InboundThrottle;
  requests: RequestExecutor;
  heartbeat: Heartbeat;
  feed: DataFeed;
  streams: SessionStreams;
  /** Shared with `streams`, whose settled publishes wake the drain. */
  wake: DrainWake;
  /** This peer's rate-limited log lines. */
  log: PeerLog;
  observer: SessionObserver;
}

/**
 * The session a socket belongs to, kept on the socket so that its listeners can be functions
 * every connection shares (ws keeps its `WebSocket` on the TCP socket the same way): a closure
 * per listener would cost each connection a few hundred bytes.
 */
const SESSION = Symbol('session');
type SessionSocket = WebSocket & { [SESSION]: Session };

/**
 * One client connection: it streams the feed, answers requests, hands stream frames on, and
 * runs the drain. The collaborators hold the rest: the codec (dialect), the outbound sender
 * (sequence numbers, acks, backpressure), the request executor (in-flight work), the channel
 * streams (subscriptions and publishes) and the heartbeat.
 */
export class Session {
  readonly id = randomUUID();
  readonly peer: Peer;

  private readonly socket: WebSocket;
  private readonly codec: SessionCodec;
  private readonly outbound: Outbound;
  private readonly inbound: InboundThrottle;
  private readonly requests: RequestExecutor;
  private readonly heartbeat: Heartbeat;
  private readonly feed: DataFeed;
  private readonly streams: SessionStreams;
  private readonly wake: DrainWake;
  private readonly log: PeerLog;
  private readonly observer: SessionObserver;
  private draining = false;
  /** Frames sent before the drain notice; the rest were flushed by the drain. */
  private framesBeforeDrain: number | undefined;
  /** Set once the socket has closed. */
  private closeCode: number | undefined;
  /** Whoever awaits `closed` before then (made on demand: only a drain waits). */
  private closeWaiters: ((code: number) => void)[] | undefined;

  constructor(
    parts: SessionParts,
    private readonly settings: SessionSettings,
  ) {
    this.socket = parts.socket;
    this.peer = parts.peer;
    this.codec = parts.codec;
    this.outbound = parts.outbound;
    this.inbound = parts.inbound;
    this.requests = parts.requests;
    this.heartbeat = parts.heartbeat;
    this.feed = parts.feed;
    this.streams = parts.streams;
    this.wake = parts.wake;
    this.log = parts.log;
    this.observer = parts.observer;
  }

  get dialect(): SessionCodec['dialect'] {
    return this.codec.dialect;
  }

  /** Frames sent from the drain notice on. */
  get framesFlushed(): number {
    return this.framesBeforeDrain === undefined ? 0 : this.outbound.framesSent - this.framesBeforeDrain;
  }

  /** Resolves with the close code once the socket has closed, for whatever reason. */
  get closed(): Promise<number> {
    const code = this.closeCode;
    if (code !== undefined) return Promise.resolve(code);
    return new Promise((resolve) => (this.closeWaiters ??= []).push(resolve));
  }

  start(): void {
    const socket = this.socket as SessionSocket;
    socket[SESSION] = this;
    // The listeners are meant to be called unbound: ws calls each with `this` = the socket.
    /* eslint-disable @typescript-eslint/unbound-method */
    socket.on('message', Session.onMessage);
    // ws answers pings itself, and pongs need no answer, but a flood of either still costs: both
    // count against the budget and in the received-frames metric, as any other frame.
    socket.on('ping', Session.onPing);
    socket.on('pong', Session.onPong);
    socket.on('error', Session.onError);
    // `on`, not `once`: ws emits 'close' once, and `once` would add a wrapper per connection.
    socket.on('close', Session.onClose);
    /* eslint-enable @typescript-eslint/unbound-method */
    this.sayHello(this.codec.protocolVersion);
    this.feed.start();
    this.heartbeat.start();
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** True once the close handshake finished or the socket was cut. */
  get isClosed(): boolean {
    return this.socket.readyState === WebSocket.CLOSED;
  }

  /**
   * Runs this connection's drain: notice, in-flight results, final data, close marker, the
   * client's ack of it, then close 1001. Resolves when the socket has closed. The caller
   * enforces the deadline with `terminate()`.
   */
  async drain(notice: DrainNotice): Promise<void> {
    this.draining = true;
    this.feed.stop();
    this.framesBeforeDrain = this.outbound.framesSent;
    this.outbound.send({
      type: 'shutdown',
      reason: notice.reason,
      deadlineMs: Math.max(0, notice.deadlineAt - Date.now()),
      inFlight: this.inFlight,
      reconnectJitterMs: notice.reconnectJitterMs,
    });
    await this.until(() => this.inFlight === 0);
    for (let index = 1; index <= this.settings.finalDataItems; index++) {
      this.outbound.sendSequenced({ type: 'data', payload: businessItem(new Date(), index), final: true });
    }
    // Live stream messages flow until the marker and never after it; the marker says where each
    // channel stopped, and the client resumes from there on its next connection.
    const channels = this.streams.close();
    this.outbound.send({ type: 'close', lastSeq: this.outbound.lastSeq, ...(channels && { channels }) });
    await this.until(() => this.outbound.settled);
    if (this.isOpen) this.socket.close(CloseCode.GOING_AWAY, 'server draining');
    await this.closed;
  }

  /** Requests and publishes accepted but not yet answered. */
  private get inFlight(): number {
    return this.requests.size + this.streams.inFlight;
  }

  /** Cuts the connection without a close handshake (deadline, dead peer). */
  terminate(): void {
    this.socket.terminate();
  }

  private until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (condition() || !this.isOpen) {
          this.wake.clear();
          resolve();
        }
      };
      this.wake.watch(check);
      void this.closed.then(check);
      check();
    });
  }

  private static onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const session = sessionOf(this);
    if (session.inbound.admit(byteLength(data))) session.onFrame(session.codec.decode(data, isBinary));
  }

  private static onPing(this: WebSocket, data: Buffer): void {
    sessionOf(this).onControlFrame('ping', data);
  }

  private static onPong(this: WebSocket, data: Buffer): void {
    const session = sessionOf(this);
    session.onControlFrame('pong', data);
    session.heartbeat.pong();
  }

  private static onError(this: WebSocket, err: Error & { code?: string }): void {
    sessionOf(this).onSocketError(err);
  }

  private static onClose(this: WebSocket, code: number): void {
    sessionOf(this).onClosed(code);
  }

  private onControlFrame(kind: 'ping' | 'pong', data: Buffer): void {
    this.settings.metrics.frameReceived(kind);
    this.inbound.admit(data.length);
  }

  private onFrame(inbound: Inbound): void {
    if (!this.isOpen) {
      // Our close frame is out (RFC 6455 §5.5.1: nothing may follow it), so nothing can be
      // answered: the peer treats what is unanswered at the close as not taken.
      this.log.write(
        'debug',
        'after close',
        `Client ${this.peer.name} sent a frame after the close frame; not taken`,
        logEvent('frame_after_close', { peer: this.peer.name }),
      );
      return;
    }
    this.settings.metrics.frameReceived(inbound.kind === 'message' ? inbound.message.type : inbound.kind);
    switch (inbound.kind) {
      case 'chatter':
        this.log.write(
          'log',
          'chatter',
          `Received from ${this.peer.name}: ${loggable(inbound.text)}`,
          logEvent('peer_text', { peer: this.peer.name, text: loggable(inbound.text) }),
        );
        return;
      case 'invalid': {
        const { code, message, ...about } = inbound.error;
        this.outbound.reject(code, message, about);
        return;
      }
      case 'message':
        this.onMessage(inbound.message);
    }
  }

  private onMessage(message: ClientMessage): void {
    switch (message.type) {
      case 'ping':
        this.outbound.send({ type: 'pong' });
        return;
      case 'request':
        this.onRequest(message.id, message.payload.workMs ?? 0);
        return;
      case 'ack':
        if (!this.outbound.ack(message.seq)) {
          this.outbound.reject(ErrorCode.BAD_MESSAGE, `ack ${message.seq} is beyond the last seq sent (${this.outbound.lastSeq})`);
          return;
        }
        this.wake.wake();
        return;
      case 'unsubscribe':
        this.streams.unsubscribe(message);
        return;
      case 'subscribe':
        if (this.draining) this.outbound.reject(ErrorCode.DRAINING, DRAINING_MESSAGE, { channel: message.channel });
        else this.streams.subscribe(message);
        return;
      case 'publish':
        if (this.refusedWork(message.id)) return;
        this.streams.publish(message);
    }
  }

  /** Refuses new work (a request or a publish) while draining or at the in-flight cap. */
  private refusedWork(id: string): boolean {
    if (this.draining) {
      this.outbound.reject(ErrorCode.DRAINING, DRAINING_MESSAGE, { id });
      return true;
    }
    const { maxInFlight } = this.settings;
    if (this.inFlight >= maxInFlight) {
      const message = `${maxInFlight} requests and publishes are unanswered on this connection; send it again after an answer`;
      this.outbound.reject(ErrorCode.TOO_MANY_IN_FLIGHT, message, { id });
      return true;
    }
    return false;
  }

  private onRequest(id: string, workMs: number): void {
    if (this.refusedWork(id)) return;
    const refusal = this.requests.start(id, workMs, () => {
      this.outbound.sendSequenced({ type: 'result', id, payload: { servedBy: this.settings.serverId, workMs } });
      this.wake.wake();
    });
    if (refusal) this.outbound.reject(refusal.code, refusal.message, { id });
  }

  /** The first frame of a JSON dialect (the text dialect has none). */
  private sayHello(protocol: ProtocolVersion | undefined): void {
    if (protocol === undefined) return;
    this.outbound.send({
      type: 'hello',
      protocol,
      serverId: this.settings.serverId,
      sessionId: this.id,
      heartbeatMs: this.settings.heartbeatMs,
      maxPayload: this.settings.maxPayloadBytes,
      maxInFlight: this.settings.maxInFlight,
    });
  }

  private onSocketError(err: Error & { code?: string }): void {
    const { logger, maxPayloadBytes } = this.settings;
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      logger.warn(
        `Client ${this.peer.name} sent a frame over ${maxPayloadBytes} bytes; closed with 1009`,
        logEvent('frame_too_large', { peer: this.peer.name, limitBytes: maxPayloadBytes }),
      );
    } else {
      const error = loggable(err.message);
      logger.warn(`Client ${this.peer.name} connection error: ${error}`, logEvent('socket_error', { peer: this.peer.name, error }));
    }
  }

  private onClosed(code: number): void {
    this.closeCode = code;
    this.inbound.stop();
    this.log.flush();
    this.streams.close();
    this.feed.stop();
    this.heartbeat.stop();
    this.requests.cancelAll();
    this.observer.sessionClosed(this, code);
    for (const resolve of this.closeWaiters ?? []) resolve(code);
    this.closeWaiters = undefined;
  }
}

function sessionOf(socket: WebSocket): Session {
  return (socket as SessionSocket)[SESSION];
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}
