import type { ClientStats } from '../stats/client-stats.js';

/** How a healthy connection ended. */
export type EndKind = 'drain' | 'failure';

/**
 * Measures each reconnect gap: last frame of the old healthy connection → the new one turning
 * healthy (`hello`). Failed attempts in between are part of the gap, not a new one; the gap is
 * filed under how the last healthy connection ended.
 */
export class ReconnectGapMeter {
  private lastFrameAt = 0;
  private previousEnd: { kind: EndKind; lastFrameAt: number } | undefined;

  constructor(private readonly stats: ClientStats) {}

  frame(): void {
    this.lastFrameAt = performance.now();
  }

  /** The current connection ended; `wasHealthy` when it had reached `hello` (else it was a failed attempt). */
  ended(kind: EndKind, wasHealthy: boolean): void {
    if (wasHealthy) this.previousEnd = { kind, lastFrameAt: this.lastFrameAt };
    else this.stats.failedAttempts++;
  }

  /** A connection turned healthy: counts it, and the gap if it is a reconnect. */
  healthy(): void {
    this.stats.connections++;
    if (!this.previousEnd) return;
    this.stats.reconnects++;
    const gapMs = Math.round(performance.now() - this.previousEnd.lastFrameAt);
    (this.previousEnd.kind === 'drain' ? this.stats.gapsAfterDrainMs : this.stats.gapsAfterFailureMs).push(gapMs);
  }
}
