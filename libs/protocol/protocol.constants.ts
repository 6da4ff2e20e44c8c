/**
 * WebSocket subprotocol of the JSON dialect's current version. No subprotocol selects the text
 * dialect. Version 2 differs from version 1 only in channel traffic: a `message` carries no
 * `seq` (so a broadcast is framed once for every subscriber), and the `close` marker names the
 * last offset sent on each channel.
 */
export const SUBPROTOCOL = 'graceful.v2';

/** The JSON dialect's first version, still spoken: clients built before version 2 keep working. */
export const SUBPROTOCOL_V1 = 'graceful.v1';

/** The JSON dialect's subprotocols, newest first: clients offer them in this order, and servers pick the newest offered. */
export const JSON_SUBPROTOCOLS = [SUBPROTOCOL, SUBPROTOCOL_V1] as const;
export type JsonSubprotocol = (typeof JSON_SUBPROTOCOLS)[number];

/** The version a JSON subprotocol carries in its `hello` frame. */
export const PROTOCOL_VERSIONS = { [SUBPROTOCOL]: 2, [SUBPROTOCOL_V1]: 1 } as const satisfies Record<JsonSubprotocol, number>;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[JsonSubprotocol];

/** The JSON subprotocol a server picks from those a client offers: the newest it speaks, or none. */
export function pickSubprotocol(offered: Iterable<string>): JsonSubprotocol | undefined {
  const names = new Set(offered);
  return JSON_SUBPROTOCOLS.find((name) => names.has(name));
}

/** WebSocket path the server serves. */
export const WS_PATH = '/ws';

/** Close codes used by both ends (RFC 6455 section 7.4.1). */
export const CloseCode = {
  /** Client exits normally. */
  NORMAL: 1000,
  /** Server finished its drain: reconnect elsewhere. */
  GOING_AWAY: 1001,
  /** The peer broke a policy: it stayed over its inbound budget (or failed the origin/auth check). */
  POLICY_VIOLATION: 1008,
  /** A frame exceeded `maxPayload`. */
  MESSAGE_TOO_BIG: 1009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes carried by `error` frames. */
export const ErrorCode = {
  BAD_JSON: 'BAD_JSON',
  BAD_MESSAGE: 'BAD_MESSAGE',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  DRAINING: 'DRAINING',
  DUPLICATE_ID: 'DUPLICATE_ID',
  /** The stream backend is unreachable: the frame was not taken; send it again later. */
  UNAVAILABLE: 'UNAVAILABLE',
  /**
   * The peer is over its inbound budget: the server stopped reading its socket for a while.
   * Frames already read are still handled; sent at most once per second.
   */
  RATE_LIMITED: 'RATE_LIMITED',
  /** `MAX_IN_FLIGHT` requests and publishes are already unanswered: not taken; send it again after an answer. */
  TOO_MANY_IN_FLIGHT: 'TOO_MANY_IN_FLIGHT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Longest request id accepted, so a hostile peer cannot make the server keep huge keys. */
export const MAX_REQUEST_ID_LENGTH = 128;

/** What a channel name may be: letters, digits and `._:-`, 1 to 100 of them. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;
