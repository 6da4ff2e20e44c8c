import {
  CloseCode,
  SUBPROTOCOL,
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
  /** Told how the socket finally closed, even after the observable completed. */
  onSocketClosed?: (code: number, reason: string) => void;
}

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
 * background. It errors on any other end: refused upgrade, network error, a close without the
 * marker, or silence — no frame or ping for two heartbeat periods, which also bounds the opening
 * handshake and, after the marker, a server that never closes. Unsubscribing before the marker
 * closes the socket with 1000.
 */
export function connect$({ url, dialect, heartbeatMs, onSocketClosed }: ConnectOptions): Observable<Inbound> {
  return new Observable<Inbound>((subscriber) => {
    let silenceLimitMs = 2 * heartbeatMs;
    let drainMarkerSeen = false;
    let watchdog: NodeJS.Timeout | undefined;
    const socket = new WebSocket(url, dialect === 'json' ? SUBPROTOCOL : [], { perMessageDeflate: false });

    const fail = (message: string): void => {
      clearTimeout(watchdog);
      subscriber.error(new ConnectionLostError(message));
      socket.terminate();
    };
    const endOfDrain = (): void => {
      drainMarkerSeen = true;
      subscriber.complete();
    };
    const armWatchdog = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => fail(`no frames or pings for ${silenceLimitMs} ms`), silenceLimitMs);
    };
    armWatchdog();

    socket.on('open', () => {
      armWatchdog();
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
        silenceLimitMs = 2 * parsed.message.heartbeatMs;
        armWatchdog();
      }
      subscriber.next({ kind: 'message', message: parsed.message, text });
      if (parsed.message.type === 'close') endOfDrain();
    });
    socket.on('unexpected-response', (request, response) => {
      request.destroy();
      fail(`upgrade refused: HTTP ${response.statusCode ?? 0}`);
    });
    socket.on('error', (err) => fail(err.message));
    socket.on('close', (code, reason) => {
      clearTimeout(watchdog);
      onSocketClosed?.(code, reason.toString());
      if (!drainMarkerSeen) fail(`closed with ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''} before the drain marker`);
    });

    return () => {
      // After the marker the server closes the socket; the watchdog still guards against one that never does.
      if (drainMarkerSeen) return;
      clearTimeout(watchdog);
      if (socket.readyState === WebSocket.OPEN) socket.close(CloseCode.NORMAL, 'client exit');
      else if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    };
  });
}
