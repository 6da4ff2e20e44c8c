import type { LoggerService } from '@nestjs/common';
import type { ServerMessage } from '@app/protocol';
import WebSocket from 'ws';
import type { SessionCodec } from './codec/index.js';

/** A frame that takes the next sequence number. */
type Sequenced = Extract<ServerMessage, { seq: number }>;
type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

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
    private readonly logger: LoggerService,
  ) {}

  /** True when the peer acknowledged everything sent. */
  get settled(): boolean {
    return this.ackedSeq >= this.lastSeq;
  }

  send(message: Exclude<ServerMessage, Sequenced>): void {
    this.write(message);
  }

  /** Sends a frame with the next sequence number (in a dialect that has them). */
  sendSequenced(message: WithoutSeq<Sequenced>): void {
    const seq = this.codec.sequenced ? ++this.lastSeq : 0;
    const { type, ...fields } = message;
    // `type` and `seq` first, as every frame of the protocol lays them out.
    this.write({ type, seq, ...fields } as Sequenced);
  }

  /** Records a cumulative ack; false when it acknowledges a seq never sent. */
  ack(seq: number): boolean {
    if (seq > this.lastSeq) return false;
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    return true;
  }

  private write(message: ServerMessage): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const text = this.codec.encode(message);
    if (text === undefined) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn(
        `Client ${this.peer} is not reading: ${this.socket.bufferedAmount} bytes queued ` +
          `(limit ${this.maxBufferedBytes}); terminating`,
      );
      this.socket.terminate();
      return;
    }
    this.framesSent++;
    this.socket.send(text);
  }
}
