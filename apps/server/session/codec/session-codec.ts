import type { ProtocolError, ClientMessage, ProtocolVersion, ServerMessage } from '@app/protocol';
import type { RawData } from 'ws';
import type { StreamEntry } from '../../streams/backend/stream-backend.js';

/** `json` is `graceful.v2` or `graceful.v1`; `text` is the original dialect (no subprotocol). */
export type Dialect = 'json' | 'text';

/** What a peer's frame turned out to be. */
export type Inbound =
  | { kind: 'message'; message: ClientMessage }
  | { kind: 'invalid'; error: ProtocolError }
  /** A frame the dialect has no meaning for: logged, otherwise ignored. */
  | { kind: 'chatter'; text: string };

/**
 * How one dialect puts the session's frames on the wire and reads the peer's. The session
 * builds every frame as a `graceful.v2` message; a dialect that has no counterpart for one
 * returns `undefined` and nothing is sent.
 */
/** A connection's sequence numbers (its `Outbound`). */
export interface SeqCounter {
  /** Takes the next number. */
  nextSeq(): number;
}

export interface SessionCodec {
  readonly dialect: Dialect;
  /** The version `hello` announces (undefined: the dialect has no `hello`). */
  readonly protocolVersion: ProtocolVersion | undefined;
  /** True when frames carry sequence numbers that the peer acknowledges. */
  readonly sequenced: boolean;
  encode(message: ServerMessage): string | undefined;
  /**
   * A channel entry's `message` frame, its payload serialized once however many connections
   * send it (`entry-frames.ts`). `seqs` numbers the frame in a version that sequences channel
   * messages; a `Buffer` is the same bytes for every connection. `undefined` where the dialect
   * has no channels.
   */
  encodeEntry(channel: string, entry: StreamEntry, seqs: SeqCounter): string | Buffer | undefined;
  decode(data: RawData, isBinary: boolean): Inbound;
}
