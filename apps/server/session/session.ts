import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { CloseCode, ErrorCode, loggable, type ClientMessage, type ProtocolVersion } from '@app/protocol';
import WebSocket, { type RawData } from 'ws';
import type { Inbound, SessionCodec } from './codec/index.js';
import { businessItem, type BusinessItem, type DataFeed } from './feed/index.js';
import { Heartbeat, MISSED_PONGS_LIMIT } from './heartbeat.js';
import type { InboundThrottle } from './inbound/inbound-throttle.js';
import type { Outbound } from './outbound.js';
import type { PeerLog } from './peer-log.js';
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

/** What a session is built from; `SessionFactory` assembles it. */
export interface SessionParts {
  socket: WebSocket;
  peer: string;
  serverId: string;
  codec: SessionCodec;
  outbound: Outbound;
  /** Holds the peer to its inbound budget. */
  inbound: InboundThrottle;
  requests: RequestExecutor;
  heartbeat: Heartbeat;
  feed: DataFeed;
  /** Opens the connection's channel streams; `onSettled` runs whenever a publish settles. */
  openStreams: (onSettled: () => void) => SessionStreams;
  finalDataItems: number;
  maxPayloadBytes: number;
  /** Requests and publishes a peer may have unanswered at once. */
  maxInFlight: number;
  heartbeatMs: number;
  /** This peer's rate-limited log lines. */
  log: PeerLog;
  metrics: SessionMetrics;
  logger: LoggerService;
}

/**
 * One client connection: it streams the feed, answers requests, hands stream frames on, and
 * runs the drain. The collaborators hold the rest: the codec (dialect), the outbound sender
 * (sequence numbers, acks, backpressure), the request executor (in-flight work), the channel
 * streams (subscriptions and publishes) and the heartbeat.
 */
export class Session {
  readonly id = randomUUID();
  readonly peer: string;
  /** Resolves with the close code once the socket has closed, for whatever reason. */
  readonly closed: Promise<number>;

  private readonly socket: WebSocket;
  private readonly codec: SessionCodec;
  private readonly outbound: Outbound;
  private readonly requests: RequestExecutor;
  private readonly streams: SessionStreams;
  private draining = false;
  /** Frames sent before the drain notice; the rest were flushed by the drain. */
  private framesBeforeDrain: number | undefined;
  private stopFeed: (() => void) | undefined;
  /** Wakes the drain when in-flight work finishes or an ack arrives. */
  private wakeDrain: (() => void) | undefined;

  constructor(private readonly parts: SessionParts) {
    this.socket = parts.socket;
    this.peer = parts.peer;
    this.codec = parts.codec;
    this.outbound = parts.outbound;
    this.requests = parts.requests;
    this.streams = parts.openStreams(() => this.wakeDrain?.());
    // `on`, not `once`: ws emits 'close' once, and `once` would add a wrapper per connection.
    this.closed = new Promise((resolve) =>
      this.socket.on('close', (code: number) => {
        this.stop();
        resolve(code);
      }),
    );
  }

  get dialect(): SessionCodec['dialect'] {
    return this.codec.dialect;
  }

  /** Frames sent from the drain notice on. */
  get framesFlushed(): number {
    return this.framesBeforeDrain === undefined ? 0 : this.outbound.framesSent - this.framesBeforeDrain;
  }

  start(): void {
    const { socket, heartbeat, feed, logger } = this.parts;
    socket.on('message', (data, isBinary) => {
      if (this.parts.inbound.admit(byteLength(data))) this.onFrame(this.codec.decode(data, isBinary));
    });
    // ws answers pings itself, and pongs need no answer, but a flood of either still costs: both
    // count against the budget and in the received-frames metric, as any other frame.
    for (const control of ['ping', 'pong'] as const) {
      socket.on(control, (data: Buffer) => {
        this.parts.metrics.frameReceived(control);
        this.parts.inbound.admit(data.length);
      });
    }
    socket.on('error', (err) => this.onSocketError(err));
    this.sayHello(this.codec.protocolVersion);
    this.stopFeed = feed.subscribe((item) => this.sendData(item, false));
    heartbeat.start(() => {
      logger.warn(
        `Client ${this.peer} missed ${MISSED_PONGS_LIMIT} heartbeats; terminating`,
        logEvent('heartbeat_missed', { peer: this.peer, missed: MISSED_PONGS_LIMIT }),
      );
      this.parts.metrics.cut('heartbeat');
      socket.terminate();
    });
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
    this.stopFeed?.();
    this.framesBeforeDrain = this.outbound.framesSent;
    this.outbound.send({
      type: 'shutdown',
      reason: notice.reason,
      deadlineMs: Math.max(0, notice.deadlineAt - Date.now()),
      inFlight: this.inFlight,
      reconnectJitterMs: notice.reconnectJitterMs,
    });
    await this.until(() => this.inFlight === 0);
    for (let index = 1; index <= this.parts.finalDataItems; index++) this.sendData(businessItem(new Date(), index), true);
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
          this.wakeDrain = undefined;
          resolve();
        }
      };
      this.wakeDrain = check;
      void this.closed.then(check);
      check();
    });
  }

  private onFrame(inbound: Inbound): void {
    if (!this.isOpen) {
      // Our close frame is out (RFC 6455 §5.5.1: nothing may follow it), so nothing can be
      // answered: the peer treats what is unanswered at the close as not taken.
      this.parts.log.write(
        'debug',
        'after close',
        `Client ${this.peer} sent a frame after the close frame; not taken`,
        logEvent('frame_after_close', { peer: this.peer }),
      );
      return;
    }
    this.parts.metrics.frameReceived(inbound.kind === 'message' ? inbound.message.type : inbound.kind);
    switch (inbound.kind) {
      case 'chatter':
        this.parts.log.write(
          'log',
          'chatter',
          `Received from ${this.peer}: ${loggable(inbound.text)}`,
          logEvent('peer_text', { peer: this.peer, text: loggable(inbound.text) }),
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
        this.wakeDrain?.();
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
    if (this.inFlight >= this.parts.maxInFlight) {
      const message = `${this.parts.maxInFlight} requests and publishes are unanswered on this connection; send it again after an answer`;
      this.outbound.reject(ErrorCode.TOO_MANY_IN_FLIGHT, message, { id });
      return true;
    }
    return false;
  }

  private onRequest(id: string, workMs: number): void {
    if (this.refusedWork(id)) return;
    const refusal = this.requests.start(id, workMs, () => {
      this.outbound.sendSequenced({ type: 'result', id, payload: { servedBy: this.parts.serverId, workMs } });
      this.wakeDrain?.();
    });
    if (refusal) this.outbound.reject(refusal.code, refusal.message, { id });
  }

  /** The first frame of a JSON dialect (the text dialect has none). */
  private sayHello(protocol: ProtocolVersion | undefined): void {
    if (protocol === undefined) return;
    this.outbound.send({
      type: 'hello',
      protocol,
      serverId: this.parts.serverId,
      sessionId: this.id,
      heartbeatMs: this.parts.heartbeatMs,
      maxPayload: this.parts.maxPayloadBytes,
      maxInFlight: this.parts.maxInFlight,
    });
  }

  private sendData(item: BusinessItem, final: boolean): void {
    this.outbound.sendSequenced({ type: 'data', payload: item, final });
  }

  private onSocketError(err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.parts.logger.warn(
        `Client ${this.peer} sent a frame over ${this.parts.maxPayloadBytes} bytes; closed with 1009`,
        logEvent('frame_too_large', { peer: this.peer, limitBytes: this.parts.maxPayloadBytes }),
      );
    } else {
      const error = loggable(err.message);
      this.parts.logger.warn(`Client ${this.peer} connection error: ${error}`, logEvent('socket_error', { peer: this.peer, error }));
    }
  }

  private stop(): void {
    this.parts.inbound.stop();
    this.parts.log.flush();
    this.streams.close();
    this.stopFeed?.();
    this.parts.heartbeat.stop();
    this.requests.cancelAll();
  }
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}
