import WebSocket from 'ws';
import type { Peer } from './peer.js';

/** Pings in a row left unanswered before the peer counts as dead. */
export const MISSED_PONGS_LIMIT = 2;

/**
 * One timer for every connection's heartbeat, as a timer per connection would cost each one a
 * `Timeout` and a closure (and the process a wakeup per connection). Each period it pings every
 * live peer; the timer runs only while some heartbeat is on it. `onDead` hears of each peer cut.
 */
export class HeartbeatSweep {
  private readonly heartbeats = new Set<Heartbeat>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly periodMs: number,
    readonly onDead: (peer: string) => void,
  ) {}

  join(heartbeat: Heartbeat): void {
    this.heartbeats.add(heartbeat);
    this.timer ??= setInterval(() => {
      for (const member of this.heartbeats) member.beat();
    }, this.periodMs);
  }

  leave(heartbeat: Heartbeat): void {
    this.heartbeats.delete(heartbeat);
    if (this.heartbeats.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Pings the peer once per sweep; a peer that misses `MISSED_PONGS_LIMIT` pongs in a row is cut
 * (a half-open connection would otherwise hold its session forever). The first ping goes out at
 * the sweep's next period, so a dead peer is found 2–3 periods after its last pong. The session
 * hands each pong on (`pong()`), as it reads them anyway.
 */
export class Heartbeat {
  private missedPongs = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly peer: Peer,
    private readonly sweep: HeartbeatSweep,
  ) {}

  start(): void {
    this.sweep.join(this);
  }

  /** The peer answered a ping. */
  pong(): void {
    this.missedPongs = 0;
  }

  /** One period of the sweep. */
  beat(): void {
    if (this.missedPongs >= MISSED_PONGS_LIMIT) {
      this.stop();
      this.sweep.onDead(this.peer.name);
      this.socket.terminate();
      return;
    }
    this.missedPongs++;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  stop(): void {
    this.sweep.leave(this);
  }
}
