import { ErrorCode, frameText, parseClientFrame, type ServerMessage } from '@app/protocol';
import type { RawData } from 'ws';
import type { Inbound, SessionCodec } from './session-codec.js';

/** `graceful.v1`: one JSON object per text frame, validated on the way in. */
export class JsonCodec implements SessionCodec {
  readonly dialect = 'json';
  readonly sequenced = true;

  encode(message: ServerMessage): string {
    return JSON.stringify(message);
  }

  /** The same text `encode` gives `{type, seq, ...fields}`: `type` and `seq` first, then the fields. */
  encodeWithTail(type: string, seq: number, tail: string): string {
    return tail === '}' ? `{"type":${JSON.stringify(type)},"seq":${seq}}` : `{"type":${JSON.stringify(type)},"seq":${seq},${tail}`;
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
