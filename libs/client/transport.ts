import {
  CloseCode,
  JSON_SUBPROTOCOLS,
  classifyTextFrame,
  loggable,
  parseServerFrame,
  type ServerMessage,
  type TextFrameKind,
} from '@app/protocol';
import { Observable } from 'rxjs';

/**
 * The part of the WHATWG `WebSocket` this client uses: a browser's, Node 22+'s global one, or
 * `ws`'s (which adds `terminate`, used to cut a socket without waiting for its peer).
 */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate?(): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: SocketEvent) => void): void;
}

/** The fields read from a socket's events: `data` (message), `code` and `reason` (close), `message` and `error` (error; `ws` only). */
export interface SocketEvent {
  type?: string;
  data?: unknown;
  code?: number;
  reason?: string;
  message?: string;
  error?: unknown;
}

/**
 * Opens a socket. `token` is the access token for this connection, if any: the default puts it
 * in the `access_token` query parameter (browsers cannot set headers); a Node factory may send it
 * as `Authorization: Bearer` instead.
 */
export type SocketFactory = (url: string, protocols: string[], token: string | undefined) => WebSocketLike;

const OPEN = 1;
const CONNECTING = 0;

/** The global `WebSocket` (browsers, Node 22+). */
export const globalSocketFactory: SocketFactory = (url, protocols, token) => {
  const WebSocketClass = (globalThis as { WebSocket?: new (url: string, protocols: string[]) => WebSocketLike }).WebSocket;
  if (!WebSocketClass) throw new Error('no global WebSocket here: pass createSocket (for Node 20, one that makes a `ws` WebSocket)');
  return new WebSocketClass(withToken(url, token), protocols);
};

/** `url` with `access_token` set (RFC 6750 §2.3), or as is without a token. */
export function withToken(url: string, token: string | undefined): string {
  if (token === undefined) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('access_token', token);
  return parsed.toString();
}

/** What one connection emits, in order. */
export type Inbound =
  | { kind: 'open'; send: (text: string) => void }
  | { kind: 'message'; message: ServerMessage; text: string }
  | { kind: 'invalid'; text: string; reason: string }
  | { kind: 'text'; text: string; meaning: TextFrameKind };

export interface ConnectOptions {
  url: string;
  dialect: 'json' | 'text';
  createSocket: SocketFactory;
  token: string | undefined;
  /** Heartbeat period assumed until `hello` announces the server's. */
  heartbeatMs: number;
  /** A frame longer than this fails the connection (a `ws` socket enforces it in bytes before buffering). */
  maxPayloadBytes: number;
  /** `hello` must arrive this soon after the upgrade (JSON dialect). */
  helloTimeoutMs: number;
  /** Told how the socket finally closed, even after the observable completed. */
  onSocketClosed?: (code: number, reason: string) => void;
}

/** The heartbeat periods a `hello` may announce; anything outside is clamped into it. */
export const HEARTBEAT_RANGE_MS = { min: 100, max: 3_600_000 } as const;

/** After the drain marker, how long the server has to close the socket before this side cuts it. */
export const MARKER_CLOSE_WAIT_MS = 5000;

/** The connection ended without the server's drain: reconnect with backoff. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';

  constructor(
    message: string,
    /** The HTTP status of a refused upgrade, where the WebSocket implementation tells it (`ws` does; browsers do not). */
    readonly httpStatus?: number,
    /** True when the socket never opened. */
    readonly beforeOpen = false,
  ) {
    super(message);
  }
}

/**
 * A cold observable: each subscription opens one WebSocket and emits its frames, parsed.
 *
 * It completes on the server's drain marker (`close` frame, or `CLOSE` in the text dialect),
 * right after emitting it: nothing with a sequence number follows the marker, so the next
 * connection can open while the server finishes the close handshake of this one — for at most
 * `MARKER_CLOSE_WAIT_MS`, then this side cuts it. It errors on any other end: refused upgrade,
 * network error, a close without the marker, a frame over `maxPayloadBytes`, a second `hello`,
 * no `hello` within `helloTimeoutMs`, or silence. Silence is found by an application heartbeat a
 * browser can see: after `heartbeatMs` without a frame it sends `ping` (the server answers
 * `pong`), and after twice that without one the connection is dead. Unsubscribing before the
 * marker closes the socket with 1000.
 */
export function connect$(options: ConnectOptions): Observable<Inbound> {
  const { url, dialect, heartbeatMs, maxPayloadBytes, helloTimeoutMs, onSocketClosed } = options;
  return new Observable<Inbound>((subscriber) => {
    let periodMs = heartbeatMs;
    let drainMarkerSeen = false;
    let opened = false;
    let helloSeen = false;
    let lastFrameAt = performance.now();
    let pinged = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    let helloDeadline: ReturnType<typeof setTimeout> | undefined;
    const socket = options.createSocket(url, dialect === 'json' ? [...JSON_SUBPROTOCOLS] : [], options.token);
    socket.binaryType = 'arraybuffer';

    const cut = (): void => (socket.terminate ? socket.terminate() : socket.close());
    const stopTimers = (): void => {
      clearTimeout(watchdog);
      clearTimeout(helloDeadline);
    };
    const fail = (error: ConnectionLostError): void => {
      stopTimers();
      subscriber.error(error);
      cut();
    };
    const send = (text: string): void => {
      if (socket.readyState === OPEN) socket.send(text);
    };
    // One timer, re-armed lazily: a frame only records its time. Idle for a period: ping (once
    // `hello` said the server answers it); idle for two: dead.
    const watch = (): void => {
      const idleMs = performance.now() - lastFrameAt;
      if (idleMs >= 2 * periodMs) return fail(new ConnectionLostError(`no frames for ${2 * periodMs} ms (heartbeat unanswered)`));
      if (idleMs >= periodMs && !pinged && helloSeen) {
        pinged = true;
        send('{"type":"ping"}');
      }
      const dueMs = (idleMs >= periodMs ? 2 * periodMs : periodMs) - idleMs;
      watchdog = setTimeout(watch, Math.max(1, dueMs));
    };
    const rearm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(watch, periodMs);
    };
    const endOfDrain = (): void => {
      drainMarkerSeen = true;
      stopTimers();
      // The close frame comes next; a server that never sends it does not keep this socket.
      watchdog = setTimeout(cut, MARKER_CLOSE_WAIT_MS);
      subscriber.complete();
    };
    const tooBig = (): ConnectionLostError => new ConnectionLostError(`the server sent a frame over ${maxPayloadBytes} bytes`);
    rearm();

    socket.addEventListener('open', () => {
      opened = true;
      lastFrameAt = performance.now();
      rearm();
      if (dialect === 'json') {
        helloDeadline = setTimeout(
          () => fail(new ConnectionLostError(`no hello within ${helloTimeoutMs} ms of the upgrade`)),
          helloTimeoutMs,
        );
      }
      subscriber.next({ kind: 'open', send });
    });
    socket.addEventListener('message', (event) => {
      lastFrameAt = performance.now();
      pinged = false;
      if (typeof event.data !== 'string') {
        subscriber.next({
          kind: 'invalid',
          text: '<binary frame>',
          reason: `binary frame in the ${dialect === 'json' ? 'JSON' : 'text'} dialect`,
        });
        return;
      }
      const text = event.data;
      // UTF-16 units never outnumber UTF-8 bytes: a browser cannot refuse a frame before it
      // arrives, but it need not hold one over the limit.
      if (text.length > maxPayloadBytes) return fail(tooBig());
      if (dialect === 'text') {
        const meaning = classifyTextFrame(text);
        subscriber.next({ kind: 'text', text, meaning });
        if (meaning === 'close') endOfDrain();
        return;
      }
      const parsed = parseServerFrame(text);
      if (!parsed.ok) {
        subscriber.next({ kind: 'invalid', text, reason: `${parsed.error.code}: ${parsed.error.message}` });
        return;
      }
      if (parsed.message.type === 'hello') {
        if (helloSeen) return fail(new ConnectionLostError('protocol error: a second hello on one connection'));
        helloSeen = true;
        clearTimeout(helloDeadline);
        periodMs = clampHeartbeat(parsed.message.heartbeatMs);
        rearm();
      }
      subscriber.next({ kind: 'message', message: parsed.message, text });
      if (parsed.message.type === 'close') endOfDrain();
    });
    socket.addEventListener('error', (event) => {
      if ((event.error as { code?: unknown } | undefined)?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return fail(tooBig());
      // `ws` says why; a browser never does (a refused upgrade and a reset look the same).
      const status = /Unexpected server response: (\d{3})/.exec(event.message ?? '')?.[1];
      if (status !== undefined) return fail(new ConnectionLostError(`upgrade refused: HTTP ${status}`, Number(status), true));
      fail(
        new ConnectionLostError(
          event.message ? loggable(event.message) : opened ? 'socket error' : 'could not connect',
          undefined,
          !opened,
        ),
      );
    });
    socket.addEventListener('close', (event) => {
      stopTimers();
      const code = event.code ?? 1006;
      const why = loggable(event.reason ?? '', 123);
      onSocketClosed?.(code, why);
      if (drainMarkerSeen) return;
      if (code === CloseCode.MESSAGE_TOO_BIG) return fail(tooBig());
      fail(new ConnectionLostError(`closed with ${code}${why.length > 0 ? ` ${why}` : ''} before the drain marker`, undefined, !opened));
    });

    return () => {
      // After the marker the server closes the socket, or the marker's timer cuts it.
      if (drainMarkerSeen) return;
      stopTimers();
      if (socket.readyState === OPEN) socket.close(CloseCode.NORMAL, 'client exit');
      else if (socket.readyState === CONNECTING) cut();
    };
  });
}

/** A `hello` cannot set timers that overflow (over 2³¹ ms) or a watchdog that fires at once. */
export function clampHeartbeat(announcedMs: number): number {
  return Math.min(HEARTBEAT_RANGE_MS.max, Math.max(HEARTBEAT_RANGE_MS.min, announcedMs));
}
