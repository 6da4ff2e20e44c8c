import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  TEXT_CLOSE,
  TEXT_SHUTDOWN,
  formatBusinessData,
  formatClock,
  formatFinalData,
  frameText,
  parseClientFrame,
  type AckMessage,
  type RequestMessage,
  type ServerMessage,
} from '@app/protocol';
import WebSocket, { type RawData } from 'ws';

/** `json` is `graceful.v1`; `text` is the original dialect (no subprotocol). */
export type Dialect = 'json' | 'text';

export interface SessionSettings {
  serverId: string;
  dataIntervalMs: number;
  finalDataItems: number;
  maxWorkMs: number;
  heartbeatMs: number;
  maxPayloadBytes: number;
  maxBufferedBytes: number;
}

export interface DrainNotice {
  reason: string;
  /** Epoch ms at which the server cuts this connection regardless. */
  deadlineAt: number;
  reconnectJitterMs: number;
}

/** Longest client text quoted in a log line, so a hostile peer cannot flood the log. */
const LOGGED_TEXT_LIMIT = 200;

/**
 * One client connection: its sequence numbers, in-flight requests, heartbeat and drain.
 *
 * Every frame goes through `send`, which writes only to an open socket: a write to a closed
 * socket is a bug here, never a log line.
 */
export class Session {
  readonly id = randomUUID();
  /** Frames sent from the drain notice on. */
  framesFlushed = 0;
  /** True when the heartbeat gave up on the peer. */
  heartbeatTimedOut = false;
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;

  private lastSeq = 0;
  private ackedSeq = 0;
  private readonly inFlight = new Map<string, NodeJS.Timeout>();
  private draining = false;
  private missedPongs = 0;
  private dataTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Wakes the drain when in-flight work finishes or the close marker is acked. */
  private wakeDrain: (() => void) | undefined;

  constructor(
    private readonly socket: WebSocket,
    readonly dialect: Dialect,
    readonly peer: string,
    private readonly settings: SessionSettings,
    private readonly logger: LoggerService,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  start(): void {
    this.socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.socket.on('pong', () => (this.missedPongs = 0));
    this.socket.on('error', (err) => this.onSocketError(err));
    void this.closed.then(() => this.stopTimers());
    if (this.dialect === 'json') {
      this.send({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        serverId: this.settings.serverId,
        sessionId: this.id,
        heartbeatMs: this.settings.heartbeatMs,
        maxPayload: this.settings.maxPayloadBytes,
      });
    }
    // The current item at once, then one per interval: a client that just moved here from a
    // drained replica has data again within its reconnect gap, not one interval later.
    this.sendBusinessData();
    this.dataTimer = setInterval(() => this.sendBusinessData(), this.settings.dataIntervalMs);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.settings.heartbeatMs);
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
    clearInterval(this.dataTimer);
    if (this.dialect === 'text') {
      this.sendText(TEXT_SHUTDOWN);
      this.sendFinalData();
      this.sendText(TEXT_CLOSE);
    } else {
      this.send({
        type: 'shutdown',
        reason: notice.reason,
        deadlineMs: Math.max(0, notice.deadlineAt - Date.now()),
        inFlight: this.inFlight.size,
        reconnectJitterMs: notice.reconnectJitterMs,
      });
      await this.until(() => this.inFlight.size === 0);
      this.sendFinalData();
      this.send({ type: 'close', lastSeq: this.lastSeq });
      await this.until(() => this.ackedSeq >= this.lastSeq);
    }
    if (this.isOpen) this.socket.close(CloseCode.GOING_AWAY, 'server draining');
    await this.closed;
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

  private onMessage(data: RawData, isBinary: boolean): void {
    const text = frameText(data);
    if (this.dialect === 'text') {
      this.logger.log(`Received from ${this.peer}: ${truncate(isBinary ? '<binary frame>' : text)}`);
      return;
    }
    if (isBinary) {
      this.sendError(ErrorCode.BAD_MESSAGE, 'binary frames are not accepted; send JSON text frames');
      return;
    }
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      const { code, message, id } = parsed.error;
      this.sendError(code, message, id);
      return;
    }
    if (parsed.message.type === 'request') this.onRequest(parsed.message);
    else this.onAck(parsed.message);
  }

  private onRequest(request: RequestMessage): void {
    const { id } = request;
    if (this.draining) {
      this.sendError(ErrorCode.DRAINING, 'server is draining; send this request again after reconnecting', id);
      return;
    }
    if (this.inFlight.has(id)) {
      this.sendError(ErrorCode.DUPLICATE_ID, `request "${id}" is already in flight on this connection`, id);
      return;
    }
    const workMs = request.payload.workMs ?? 0;
    if (workMs > this.settings.maxWorkMs) {
      this.sendError(ErrorCode.BAD_MESSAGE, `payload.workMs must be at most ${this.settings.maxWorkMs}`, id);
      return;
    }
    const timer = setTimeout(() => {
      this.inFlight.delete(id);
      this.send({
        type: 'result',
        seq: ++this.lastSeq,
        id,
        payload: { servedBy: this.settings.serverId, workMs },
      });
      this.wakeDrain?.();
    }, workMs);
    this.inFlight.set(id, timer);
  }

  private onAck({ seq }: AckMessage): void {
    if (seq > this.lastSeq) {
      this.sendError(ErrorCode.BAD_MESSAGE, `ack ${seq} is beyond the last seq sent (${this.lastSeq})`);
      return;
    }
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    this.wakeDrain?.();
  }

  private sendBusinessData(): void {
    const now = new Date();
    if (this.dialect === 'text') this.sendText(formatBusinessData(now));
    else this.send({ type: 'data', seq: ++this.lastSeq, payload: { time: formatClock(now), at: now.toISOString() }, final: false });
  }

  private sendFinalData(): void {
    for (let index = 1; index <= this.settings.finalDataItems; index++) {
      const now = new Date();
      if (this.dialect === 'text') this.sendText(formatFinalData(now, index));
      else {
        this.send({
          type: 'data',
          seq: ++this.lastSeq,
          payload: { time: formatClock(now), at: now.toISOString(), index },
          final: true,
        });
      }
    }
  }

  private sendError(code: ErrorCode, message: string, id?: string): void {
    const line = `Rejected frame from ${this.peer}: ${code} ${truncate(message)}`;
    // DRAINING is the protocol working as designed; the others are a misbehaving peer.
    if (code === ErrorCode.DRAINING) this.logger.debug?.(line);
    else this.logger.warn(line);
    this.send(id === undefined ? { type: 'error', code, message } : { type: 'error', code, message, id });
  }

  private send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message));
  }

  private sendText(text: string): void {
    if (!this.isOpen) return;
    // A peer that stopped reading would otherwise grow this process's memory without bound.
    if (this.socket.bufferedAmount > this.settings.maxBufferedBytes) {
      this.logger.warn(
        `Client ${this.peer} is not reading: ${this.socket.bufferedAmount} bytes queued ` +
          `(limit ${this.settings.maxBufferedBytes}); terminating`,
      );
      this.socket.terminate();
      return;
    }
    if (this.draining) this.framesFlushed++;
    this.socket.send(text);
  }

  private heartbeat(): void {
    if (this.missedPongs >= 2) {
      this.heartbeatTimedOut = true;
      this.logger.warn(`Client ${this.peer} missed 2 heartbeats; terminating`);
      this.socket.terminate();
      return;
    }
    this.missedPongs++;
    if (this.isOpen) this.socket.ping();
  }

  private onSocketError(err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.logger.warn(`Client ${this.peer} sent a frame over ${this.settings.maxPayloadBytes} bytes; closed with 1009`);
    } else {
      this.logger.warn(`Client ${this.peer} connection error: ${err.message}`);
    }
  }

  private stopTimers(): void {
    clearInterval(this.dataTimer);
    clearInterval(this.heartbeatTimer);
    for (const timer of this.inFlight.values()) clearTimeout(timer);
    this.inFlight.clear();
  }
}

function truncate(text: string): string {
  return text.length > LOGGED_TEXT_LIMIT ? `${text.slice(0, LOGGED_TEXT_LIMIT)}…` : text;
}
