import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How log lines name the peer behind a request: `address:port`. */
export function peerOf(request: IncomingMessage): string {
  return nameOf(request.socket);
}

/**
 * The peer of one connection, for the log lines about it: `address:port`, read from the socket
 * the first time a line needs it. The read is a system call (getpeername) that most connections
 * never need, as nothing is logged about them, and it was the largest single cost of an accept
 * the session added (docs/benchmarks.md). Every line logged while the connection is open reads
 * and keeps it; one that names the peer first after the socket is gone says `unknown:0`.
 */
export class Peer {
  private known: string | undefined;

  constructor(private readonly socket: Pick<Socket, 'remoteAddress' | 'remotePort'>) {}

  get name(): string {
    return (this.known ??= nameOf(this.socket));
  }
}

function nameOf(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  return `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
}
