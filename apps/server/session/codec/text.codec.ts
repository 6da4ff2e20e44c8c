import { TEXT_CLOSE, TEXT_SHUTDOWN, formatBusinessData, formatFinalData, frameText, type ServerMessage } from '@app/protocol';
import type { RawData } from 'ws';
import type { Inbound, SessionCodec } from './session-codec.js';

/**
 * The original program's dialect: business data lines, `SHUTDOWN`, final data lines, `CLOSE`.
 * It has no hello, results, errors or sequence numbers, and whatever the peer sends is chatter.
 */
export class TextCodec implements SessionCodec {
  readonly dialect = 'text';
  readonly sequenced = false;
  readonly protocolVersion = undefined;

  encode(message: ServerMessage): string | undefined {
    switch (message.type) {
      case 'data': {
        const at = new Date(String(message.payload.at));
        return message.final ? formatFinalData(at, Number(message.payload.index)) : formatBusinessData(at);
      }
      case 'shutdown':
        return TEXT_SHUTDOWN;
      case 'close':
        return TEXT_CLOSE;
      default:
        return undefined;
    }
  }
  /** The original dialect has no channels. */
  encodeEntry(): undefined {
    return undefined;
  }

  decode(data: RawData, isBinary: boolean): Inbound {
    return { kind: 'chatter', text: isBinary ? '<binary frame>' : frameText(data) };
  }
}
