import {
  CloseCode,
  SUBPROTOCOL,
  loggable,
  classifyTextFrame,
  frameText,
  parseServerFrame,
  type ServerMessage,
  type TextFrameKind,
} from '@app/protocol';
import { Observable } from 'rxjs';
import WebSocket from 'ws';

/** What one connection emits, in order. */
export type Inbound =
  | { kind: 'open'; send: (text: string) => void }
  | { kind: 'message'; message: ServerMessage; text: string }
  | { kind: 'invalid'; text: string; reason: string }
  | { kind: 'text'; text: string; meaning: TextFrameKind };

export interface ConnectOptions {
  url: string;
  dialect: 'json' | 'text';
  /** Server heartbeat period assumed until `hello` announces the real one. */
  heartbeatMs: number;
  /** Frames over this size close the socket with 1009. */
  maxPayloadBytes: number;
  /** `hello` must arrive this soon after the upgrade (JSON dialect): pings alone are no proof of a healthy server. */
  helloTimeoutMs: number;
  /** Sent as `Authorization: Bearer`, when set. */
  authToken: string | undefined;
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
}

/**
 * A cold observable: each subscription opens one WebSocket and emits its frames, parsed.
 *
 * It completes on the server's drain marker (`close` frame, or `CLOSE` in the text dialect),
 * right after emitting it: nothing with a sequence number follows the marker, so the next
 * connection can open while the server finishes the close handshake of this one in the
 * background — for at most `MARKER_CLOSE_WAIT_MS`, then this side cuts it. It errors on any
 * other end: refused upgrade, network error, a close without the marker, a frame over
 * `maxPayloadBytes`, a second `hello`, no `hello` within `helloTimeoutMs`, or silence — no frame
 * or ping for two heartbeat periods, which also bounds the opening handshake. Unsubscribing
 * before the marker closes the socket with 1000.
 */
export function connect$(options: ConnectOptions): Observable<Inbound> {
  const { url, dialect, heartbeatMs, maxPayloadBytes, helloTimeoutMs, authToken, onSocketClosed } = options;
  return new Observable<Inbound>((subscriber) => {
    let silenceLimitMs = 2 * heartbeatMs;
    let drainMarkerSeen = false;
    let helloSeen = false;
    let watchdog: NodeJS.Timeout | undefined;
    let helloDeadline: NodeJS.Timeout | undefined;
    const socket = new WebSocket(url, dialect === 'json' ? SUBPROTOCOL : [], {
      perMessageDeflate: false,
      maxPayload: maxPayloadBytes,
      headers: authToken === undefined ? {} : { Authorization: `Bearer ${authToken}` },
    });

    const stopTimers = (): void => {
      clearTimeout(watchdog);
      clearTimeout(helloDeadline);
    };
    const fail = (message: string): void => {
      stopTimers();
      subscriber.error(new ConnectionLostError(message));
      socket.terminate();
    };
    const endOfDrain = (): void => {
      drainMarkerSeen = true;
      stopTimers();
      // The close frame comes next; a server that never sends it does not keep this socket.
      watchdog = setTimeout(() => socket.terminate(), MARKER_CLOSE_WAIT_MS);
      subscriber.complete();
    };
    const armWatchdog = (): void => {
      if (drainMarkerSeen) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(() => fail(`no frames or pings for ${silenceLimitMs} ms`), silenceLimitMs);
    };
    armWatchdog();

    socket.on('open', () => {
      armWatchdog();
      if (dialect === 'json') helloDeadline = setTimeout(() => fail(`no hello within ${helloTimeoutMs} ms of the upgrade`), helloTimeoutMs);
      subscriber.next({
        kind: 'open',
        send: (text) => {
          if (socket.readyState === WebSocket.OPEN) socket.send(text);
        },
      });
    });
    socket.on('ping', armWatchdog);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      armWatchdog();
      const text = frameText(data);
      if (dialect === 'text') {
        const meaning = classifyTextFrame(text);
        subscriber.next({ kind: 'text', text, meaning });
        if (meaning === 'close') endOfDrain();
        return;
      }
      if (isBinary) {
        subscriber.next({ kind: 'invalid', text: '<binary frame>', reason: 'binary frame in the JSON dialect' });
        return;
      }
      const parsed = parseServerFrame(text);
      if (!parsed.ok) {
        subscriber.next({ kind: 'invalid', text, reason: `${parsed.error.code}: ${parsed.error.message}` });
        return;
      }
      if (parsed.message.type === 'hello') {
        if (helloSeen) return fail('protocol error: a second hello on one connection');
        helloSeen = true;
        clearTimeout(helloDeadline);
        silenceLimitMs = 2 * clampHeartbeat(parsed.message.heartbeatMs);
        armWatchdog();
      }
      subscriber.next({ kind: 'message', message: parsed.message, text });
      if (parsed.message.type === 'close') endOfDrain();
    });
    socket.on('unexpected-response', (request, response) => {
      request.destroy();
      fail(`upgrade refused: HTTP ${response.statusCode ?? 0}`);
    });
    socket.on('error', (err: Error & { code?: string }) =>
      fail(err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? `the server sent a frame over ${maxPayloadBytes} bytes` : loggable(err.message)),
    );
    socket.on('close', (code, reason) => {
      stopTimers();
      const why = loggable(reason.toString(), 123);
      onSocketClosed?.(code, why);
      if (!drainMarkerSeen) fail(`closed with ${code}${why.length > 0 ? ` ${why}` : ''} before the drain marker`);
    });

    return () => {
      // After the marker the server closes the socket, or the marker's timer cuts it.
      if (drainMarkerSeen) return;
      stopTimers();
      if (socket.readyState === WebSocket.OPEN) socket.close(CloseCode.NORMAL, 'client exit');
      else if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    };
  });
}

/** A `hello` cannot set timers that overflow (over 2³¹ ms) or a watchdog that fires at once. */
export function clampHeartbeat(announcedMs: number): number {
  return Math.min(HEARTBEAT_RANGE_MS.max, Math.max(HEARTBEAT_RANGE_MS.min, announcedMs));
}
