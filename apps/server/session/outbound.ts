import { ErrorCode, loggable, type SequencedBody, type SequencedMessage, type ServerMessage } from '@app/protocol';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { SessionCodec } from './codec/index.js';
import type { PeerLog } from './peer-log.js';
import type { Peer } from './peer.js';
import type { SessionMetrics } from './session-metrics.js';
import type { StreamEntry } from '../streams/backend/stream-backend.js';
import { sharedTextFrame } from './shared-frames.js';
import type { TickWrites } from './tick-writes.js';
import { logEvent } from '@app/contract';

/** Every frame of the protocol is a text frame, including one handed over as bytes. */
const TEXT_FRAME = { binary: false } as const;

/**
 * Everything a session writes to its peer goes through here: frames are numbered, encoded by
 * the dialect and written only to an open socket (a write to a closed one is a bug, never a log
 * line). A peer that stopped reading is cut once `maxBufferedBytes` are queued for it, so a slow
 * consumer cannot grow this process's memory without bound. What one turn of the event loop
 * writes leaves in one TCP write (`TickWrites`).
 */
export class Outbound {
  /** Last sequence number sent; stays 0 in a dialect without them. */
  lastSeq = 0;
  /** Highest sequence number the peer acknowledged. */
  ackedSeq = 0;
  /** Frames written so far. */
  framesSent = 0;
  /**
   * Shared frames go to the TCP socket as they are, ws's framing done once for every connection.
   * Sound while ws writes each frame straight through, as it does without permessage-deflate
   * (which this server never negotiates: the check is for a socket that somehow has it).
   */
  private readonly writesSharedFrames: boolean;

  constructor(
    private readonly socket: WebSocket,
    /** The connection's TCP socket, under `socket`. */
    private readonly wire: Duplex,
    private readonly writes: TickWrites,
    private readonly codec: SessionCodec,
    private readonly maxBufferedBytes: number,
    private readonly peer: Peer,
    private readonly log: PeerLog,
    private readonly metrics: Pick<SessionMetrics, 'frameSent' | 'rejected' | 'cut'>,
  ) {
    this.writesSharedFrames = socket.extensions === '';
  }

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

  send(message: Exclude<ServerMessage, SequencedMessage>): void {
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
    return this.write({ type, seq, ...fields } as SequencedMessage, written);
  }

  /**
   * Refuses a frame with an `error` naming what it was about (a request or publish id, a
   * channel), and logs it, rate-limited per code: at debug level for DRAINING (the protocol
   * working as designed), as a warning for the rest (a misbehaving peer).
   */
  reject(code: ErrorCode, message: string, about: { id?: string; channel?: string } = {}): void {
    const level = code === ErrorCode.DRAINING ? 'debug' : 'warn';
    this.metrics.rejected(code);
    const reason = loggable(message);
    this.log.write(
      level,
      `rejected ${code}`,
      `Rejected frame from ${this.peer.name}: ${code} ${reason}`,
      logEvent('frame_rejected', { peer: this.peer.name, code, reason }),
    );
    this.send({ type: 'error', code, message, ...about });
  }

  /** Numbers a channel entry's frame, for a codec that sequences them. */
  nextSeq(): number {
    return ++this.lastSeq;
  }

  /** Records a cumulative ack; false when it acknowledges a seq never sent. */
  ack(seq: number): boolean {
    if (seq > this.lastSeq) return false;
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    return true;
  }

  /**
   * Sends a channel entry's `message` frame (numbered where the dialect numbers them) and returns
   * its length (0: not sent). Its payload is serialized once however many connections send it.
   */
  sendEntry(channel: string, entry: StreamEntry, written?: () => void): number {
    const frame = this.socket.readyState === WebSocket.OPEN ? this.codec.encodeEntry(channel, entry, this) : undefined;
    return this.writeFrame('message', frame, written);
  }

  /** Returns the frame's length, 0 when it was not sent. */
  private write(message: ServerMessage, written?: () => void): number {
    return this.writeFrame(message.type, this.socket.readyState === WebSocket.OPEN ? this.codec.encode(message) : undefined, written);
  }

  /** `frame`: text, or the UTF-8 bytes of a text frame (shared with other connections: never modified). */
  private writeFrame(type: string, frame: string | Buffer | undefined, written: (() => void) | undefined): number {
    if (frame === undefined) {
      written?.();
      return 0;
    }
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      const queuedBytes = this.socket.bufferedAmount;
      this.log.write(
        'warn',
        'not reading',
        `Client ${this.peer.name} is not reading: ${queuedBytes} bytes queued (limit ${this.maxBufferedBytes}); terminating`,
        logEvent('slow_consumer', { peer: this.peer.name, queuedBytes, limitBytes: this.maxBufferedBytes }),
      );
      this.metrics.cut('slow_consumer');
      this.socket.terminate();
      written?.();
      return 0;
    }
    this.framesSent++;
    this.metrics.frameSent(type);
    this.writes.hold(this.wire);
    const done = written && ((): void => written());
    if (typeof frame !== 'string' && this.writesSharedFrames) this.wire.write(sharedTextFrame(frame), done);
    else this.socket.send(frame, TEXT_FRAME, done);
    return frame.length;
  }
}
