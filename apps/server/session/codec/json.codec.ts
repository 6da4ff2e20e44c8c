import {
  ErrorCode,
  PROTOCOL_VERSIONS,
  frameText,
  parseClientFrame,
  type JsonSubprotocol,
  type ProtocolVersion,
  type ServerMessage,
} from '@app/protocol';
import type { RawData } from 'ws';
import type { StreamEntry } from '../../streams/backend/stream-backend.js';
import { messageFrame, messageTail } from './entry-frames.js';
import type { Inbound, SeqCounter, SessionCodec } from './session-codec.js';

/** `graceful.v2` (or `graceful.v1`): one JSON object per text frame, validated on the way in. */
export class JsonCodec implements SessionCodec {
  readonly dialect = 'json';
  readonly sequenced = true;
  readonly protocolVersion: ProtocolVersion;

  constructor(subprotocol: JsonSubprotocol) {
    this.protocolVersion = PROTOCOL_VERSIONS[subprotocol];
  }

  encode(message: ServerMessage): string {
    // Version 1's marker has no `channels` (its clients refuse a field they do not know).
    if (message.type === 'close' && this.protocolVersion < 2) return JSON.stringify({ type: 'close', lastSeq: message.lastSeq });
    return JSON.stringify(message);
  }

  /**
   * Version 2: the frame every subscriber gets, as is. Version 1: the same text `encode` gives
   * `{type, seq, ...fields}`, the fields after `seq` encoded once per entry.
   */
  encodeEntry(channel: string, entry: StreamEntry, seqs: SeqCounter): string | Buffer {
    if (this.protocolVersion >= 2) return messageFrame(channel, entry);
    return `{"type":"message","seq":${seqs.nextSeq()},${messageTail(channel, entry)}`;
  }

  decode(data: RawData, isBinary: boolean): Inbound {
    if (isBinary) {
      return {
        kind: 'invalid',
        error: { code: ErrorCode.BAD_MESSAGE, message: 'binary frames are not accepted; send JSON text frames' },
      };
    }
    const parsed = parseClientFrame(frameText(data));
    return parsed.ok ? { kind: 'message', message: parsed.message } : { kind: 'invalid', error: parsed.error };
  }
}
