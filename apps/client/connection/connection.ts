import {
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
}

/** The connection ended without the server's drain: reconnect with backoff. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
}

/**
 * A cold observable: each subscription opens one WebSocket and emits its frames, parsed. It
 * completes when the socket closes after the server's drain marker (`close` frame, or `CLOSE` in
 * the text dialect) and errors on any other end: refused upgrade, network error, a close without
 * the marker, or silence — no frame or ping for two heartbeat periods, which also bounds the
 * opening handshake. Unsubscribing closes the socket with 1000.
 */
export function connect$({ url, dialect, heartbeatMs }: ConnectOptions): Observable<Inbound> {
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
        if (meaning === 'close') drainMarkerSeen = true;
        subscriber.next({ kind: 'text', text, meaning });
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
      if (parsed.message.type === 'close') drainMarkerSeen = true;
      subscriber.next({ kind: 'message', message: parsed.message, text });
    });
    socket.on('unexpected-response', (request, response) => {
      request.destroy();
      fail(`upgrade refused: HTTP ${response.statusCode ?? 0}`);
    });
    socket.on('error', (err) => fail(err.message));
    socket.on('close', (code, reason) => {
      clearTimeout(watchdog);
      if (drainMarkerSeen) subscriber.complete();
      else fail(`closed with ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''} before the drain marker`);
    });

    return () => {
      clearTimeout(watchdog);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'client exit');
      else if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    };
  });
}
