import type { Duplex } from 'node:stream';

/**
 * Coalesces what one turn of the event loop writes to a connection into one write: the first
 * frame of the turn corks the connection's TCP socket, and every socket corked in the turn is
 * uncorked together once its synchronous work is done (one `process.nextTick` for all of them).
 * A burst fanned out to a subscriber — 200 publishes read from one chunk — then leaves as one
 * `writev` instead of 200 (the syscalls were most of a fan-out's CPU); a lone frame leaves as
 * before, at the end of the same turn. One per process, shared by every connection.
 */
export class TickWrites {
  private held = new Set<Duplex>();

  /** Holds `socket`'s writes until the end of this turn. */
  hold(socket: Duplex): void {
    if (this.held.has(socket)) return;
    if (this.held.size === 0) process.nextTick(this.release);
    this.held.add(socket);
    socket.cork();
  }

  private readonly release = (): void => {
    const sockets = this.held;
    this.held = new Set();
    for (const socket of sockets) socket.uncork();
  };
}
