import { backoffDelayMs } from './backoff.js';

/** A drain this soon after `hello` counts towards the reconnect backoff. */
export const QUICK_DRAIN_MS = 1000;

export interface ReconnectSettings {
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** A connection healthy this long resets the backoff; one that dies sooner does not. */
  stableConnectionMs: number;
}

/** How long to wait before the next connection; `attempt` counts failures in a row (absent after a drain). */
export interface ReconnectDelay {
  delayMs: number;
  attempt: number | undefined;
}

/**
 * When to reconnect, from how the last connection ended. The backoff (full jitter) grows with
 * every connection that ends too soon, failed or drained, so a server that says hello (or sends
 * a drain marker) and drops every connection gets no retry loop; a stable connection resets it.
 */
export class ReconnectPolicy {
  /** Connections ended in a row without one being stable. */
  private unstableEnds = 0;

  constructor(
    private readonly settings: ReconnectSettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** The connection failed after being healthy for `healthyForMs` (0: it never was). */
  afterFailure(healthyForMs: number): ReconnectDelay {
    const stable = healthyForMs >= this.settings.stableConnectionMs;
    this.unstableEnds = stable ? 1 : this.unstableEnds + 1;
    return { delayMs: this.backoff(this.unstableEnds - 1), attempt: this.unstableEnds };
  }

  /**
   * The server drained the connection. A drain is the design, not a fault: a rolling update may
   * move a client several times in seconds, at no cost, so the wait is only what is left of the
   * window the server advised (`jitterLeftMs`). A drain within `QUICK_DRAIN_MS` of hello, twice in
   * a row, is taken for a server that drains every connection it gets, and backs off.
   */
  afterDrain(healthyForMs: number, jitterLeftMs: number): ReconnectDelay {
    this.unstableEnds = healthyForMs >= QUICK_DRAIN_MS ? 0 : this.unstableEnds + 1;
    const backoffMs = this.unstableEnds < 2 ? 0 : this.backoff(this.unstableEnds - 2);
    return { delayMs: Math.max(jitterLeftMs, backoffMs), attempt: undefined };
  }

  private backoff(attempt: number): number {
    return backoffDelayMs(attempt, this.settings.reconnectBaseMs, this.settings.reconnectMaxMs, this.random);
  }
}
