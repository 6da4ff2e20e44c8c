import WebSocket from 'ws';

/** Pings in a row left unanswered before the peer counts as dead. */
export const MISSED_PONGS_LIMIT = 2;

/**
 * Pings the peer every period; a peer that misses `MISSED_PONGS_LIMIT` pongs in a row is
 * reported dead (a half-open connection would otherwise hold its session forever).
 */
export class Heartbeat {
  private missedPongs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly periodMs: number,
  ) {}

  start(onDead: () => void): void {
    this.socket.on('pong', () => (this.missedPongs = 0));
    this.timer = setInterval(() => {
      if (this.missedPongs >= MISSED_PONGS_LIMIT) {
        this.stop();
        onDead();
        return;
      }
      this.missedPongs++;
      if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
    }, this.periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
