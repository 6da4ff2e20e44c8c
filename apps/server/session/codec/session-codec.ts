import type { ProtocolError, ClientMessage, ServerMessage } from '@app/protocol';
import type { RawData } from 'ws';

/** `json` is `graceful.v1`; `text` is the original dialect (no subprotocol). */
export type Dialect = 'json' | 'text';

/** What a peer's frame turned out to be. */
export type Inbound =
  | { kind: 'message'; message: ClientMessage }
  | { kind: 'invalid'; error: ProtocolError }
  /** A frame the dialect has no meaning for: logged, otherwise ignored. */
  | { kind: 'chatter'; text: string };

/**
 * How one dialect puts the session's frames on the wire and reads the peer's. The session
 * builds every frame as a `graceful.v1` message; a dialect that has no counterpart for one
 * returns `undefined` and nothing is sent.
 */
export interface SessionCodec {
  readonly dialect: Dialect;
  /** True when frames carry sequence numbers that the peer acknowledges. */
  readonly sequenced: boolean;
  encode(message: ServerMessage): string | undefined;
  /**
   * A sequenced frame whose fields after `seq` are encoded already (`tail`: `"a":1,…}`, the
   * JSON of those fields without its opening brace): what many connections send the same is
   * encoded once. `undefined` where the dialect has no such frame.
   */
  encodeWithTail(type: string, seq: number, tail: string): string | undefined;
  decode(data: RawData, isBinary: boolean): Inbound;
}
