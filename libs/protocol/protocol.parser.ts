import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ErrorCode } from './protocol.constants.js';
import { clientMessageSchema, serverMessageSchema, type ClientMessage, type ServerMessage } from './protocol.messages.js';

/** Why a frame was rejected; `code` is what goes back to the peer in an `error` frame. */
export interface ProtocolError {
  code: typeof ErrorCode.BAD_JSON | typeof ErrorCode.BAD_MESSAGE | typeof ErrorCode.UNKNOWN_TYPE;
  message: string;
  /** The request or publish id, when the frame carried one. */
  id?: string;
  /** The channel of a subscribe or unsubscribe, when the frame carried one no longer than a valid name. */
  channel?: string;
}

/** Longest channel echoed back in an error: a valid name's limit, so no peer gets a huge echo. */
const ECHOED_CHANNEL_LIMIT = 100;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: ProtocolError };

// zod/mini loads no messages by default; English ones make BAD_MESSAGE errors say what was wrong.
z.config(en());

type MessageSchema<T> = z.ZodMiniType<T> & { def: { options: readonly z.ZodMiniObject[] } };

function knownTypes(schema: MessageSchema<unknown>): Set<string> {
  return new Set(schema.def.options.map((option) => String((option.shape.type as z.ZodMiniLiteral).def.values[0])));
}

function makeParser<T>(schema: MessageSchema<T>): (text: string) => ParseResult<T> {
  const types = knownTypes(schema);
  return (text) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { ok: false, error: { code: ErrorCode.BAD_JSON, message: (err as Error).message } };
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, error: { code: ErrorCode.BAD_MESSAGE, message: 'frame must be a JSON object' } };
    }
    const fields = raw as Record<string, unknown>;
    if (typeof fields.type !== 'string') {
      return { ok: false, error: { code: ErrorCode.BAD_MESSAGE, message: 'field "type" must be a string' } };
    }
    if (!types.has(fields.type)) {
      return {
        ok: false,
        error: { code: ErrorCode.UNKNOWN_TYPE, message: `unknown type "${fields.type.slice(0, 64)}"` },
      };
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const error: ProtocolError = {
        code: ErrorCode.BAD_MESSAGE,
        message: z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; '),
      };
      if (typeof fields.id === 'string') error.id = fields.id;
      if ((fields.type === 'subscribe' || fields.type === 'unsubscribe') && typeof fields.channel === 'string') {
        if (fields.channel.length <= ECHOED_CHANNEL_LIMIT) error.channel = fields.channel;
      }
      return { ok: false, error };
    }
    return { ok: true, message: parsed.data };
  };
}

/** Parses one text frame sent by a client (`graceful.v2` or `graceful.v1`). */
export const parseClientFrame: (text: string) => ParseResult<ClientMessage> = makeParser(clientMessageSchema);

/** Parses one text frame sent by a server (`graceful.v2` or `graceful.v1`). */
export const parseServerFrame: (text: string) => ParseResult<ServerMessage> = makeParser(serverMessageSchema);
