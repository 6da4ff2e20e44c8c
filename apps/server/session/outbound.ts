import { ErrorCode, loggable, type ServerMessage } from '@app/protocol';
import WebSocket from 'ws';
import type { SessionCodec } from './codec/index.js';
import type { PeerLog } from './peer-log.js';
import type { SessionMetrics } from './session-metrics.js';

/** A frame that takes the next sequence number. */
type Sequenced = Extract<ServerMessage, { seq: number }>;
type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;
/** A sequenced frame as its sender builds it: `Outbound` numbers it. */
export type SequencedBody = WithoutSeq<Sequenced>;

/**
 * Everything a session writes to its peer goes through here: frames are numbered, encoded by
 * the dialect and written only to an open socket (a write to a closed one is a bug, never a log
 * line). A peer that stopped reading is cut once `maxBufferedBytes` are queued for it, so a slow
 * consumer cannot grow this process's memory without bound.
 */
export class Outbound {
  /** Last sequence number sent; stays 0 in a dialect without them. */
  lastSeq = 0;
  /** Highest sequence number the peer acknowledged. */
  ackedSeq = 0;
  /** Frames written so far. */
  framesSent = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly codec: SessionCodec,
    private readonly maxBufferedBytes: number,
    private readonly peer: string,
    private readonly log: PeerLog,
    private readonly metrics: Pick<SessionMetrics, 'frameSent' | 'rejected' | 'cut'>,
  ) {}

  /** True when the peer acknowledged everything sent. */
  get settled(): boolean {
    return this.ackedSeq >= this.lastSeq;
  }

  /**
   * Half of `maxBufferedBytes` is queued: a sender that can wait (a history replay) waits for
   * what it sent to be written out before it adds more, leaving the other half to live frames.
   */
  get backlogged(): boolean {
    return this.socket.bufferedAmount > this.maxBufferedBytes / 2;
  }

  send(message: Exclude<ServerMessage, Sequenced>): void {
    this.write(message);
  }

  /**
   * Sends a frame with the next sequence number (in a dialect that has them) and returns its
   * length (0: not sent). `written` runs once the frame is written to the socket, or at once if
   * it could not be sent.
   */
  sendSequenced(message: SequencedBody, written?: () => void): number {
    const seq = this.codec.sequenced ? ++this.lastSeq : 0;
    const { type, ...fields } = message;
    // `type` and `seq` first, as every frame of the protocol lays them out.
    return this.write({ type, seq, ...fields } as Sequenced, written);
  }

  /**
   * Refuses a frame with an `error` naming what it was about (a request or publish id, a
   * channel), and logs it, rate-limited per code: at debug level for DRAINING (the protocol
   * working as designed), as a warning for the rest (a misbehaving peer).
   */
  reject(code: ErrorCode, message: string, about: { id?: string; channel?: string } = {}): void {
    const level = code === ErrorCode.DRAINING ? 'debug' : 'warn';
    this.metrics.rejected(code);
    this.log.write(level, `rejected ${code}`, `Rejected frame from ${this.peer}: ${code} ${loggable(message)}`);
    this.send({ type: 'error', code, message, ...about });
  }

  /** Records a cumulative ack; false when it acknowledges a seq never sent. */
  ack(seq: number): boolean {
    if (seq > this.lastSeq) return false;
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    return true;
  }

  /**
   * `sendSequenced` for a frame whose fields after `seq` are encoded already (`tail`, see
   * `SessionCodec.encodeWithTail`): a frame many connections get is serialized once, not once
   * per connection. Returns its length (0: not sent).
   */
  sendSequencedTail(type: SequencedBody['type'], tail: string, written?: () => void): number {
    const seq = this.codec.sequenced ? ++this.lastSeq : 0;
    return this.writeText(type, this.socket.readyState === WebSocket.OPEN ? this.codec.encodeWithTail(type, seq, tail) : undefined, written);
  }

  /** Returns the frame's length, 0 when it was not sent. */
  private write(message: ServerMessage, written?: () => void): number {
    return this.writeText(message.type, this.socket.readyState === WebSocket.OPEN ? this.codec.encode(message) : undefined, written);
  }

  private writeText(type: string, text: string | undefined, written: (() => void) | undefined): number {
    if (text === undefined) {
      written?.();
      return 0;
    }
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.log.write(
        'warn',
        'not reading',
        `Client ${this.peer} is not reading: ${this.socket.bufferedAmount} bytes queued ` +
          `(limit ${this.maxBufferedBytes}); terminating`,
      );
      this.metrics.cut('slow_consumer');
      this.socket.terminate();
      written?.();
      return 0;
    }
    this.framesSent++;
    this.metrics.frameSent(type);
    this.socket.send(text, written && (() => written()));
    return text.length;
  }
}
