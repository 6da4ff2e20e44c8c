import type { IncomingMessage } from 'node:http';

/** How log lines name the peer behind a request: `address:port`. */
export function peerOf(request: IncomingMessage): string {
  return `${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`;
}
