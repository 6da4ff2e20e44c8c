import type { ClientStats } from '../stats/client-stats.js';

/** Longest server id kept per gap (ids are pod names; Kubernetes caps those at 253). */
const MAX_SERVER_ID_LENGTH = 253;

/** How a healthy connection ended. */
export type EndKind = 'drain' | 'failure';

/**
 * Measures each reconnect gap: last frame of the old healthy connection → the new one turning
 * healthy (`hello`). Failed attempts in between are part of the gap, not a new one; the gap is
 * filed under how the last healthy connection ended.
 */
export class ReconnectGapMeter {
  private lastFrameAt = 0;
  /** The server of the current healthy connection ('' when it did not say). */
  private server = '';
  private previousEnd: { kind: EndKind; lastFrameAt: number; server: string } | undefined;

  constructor(private readonly stats: ClientStats) {}

  frame(): void {
    this.lastFrameAt = performance.now();
  }

  /** The current connection ended; `wasHealthy` when it had reached `hello` (else it was a failed attempt). */
  ended(kind: EndKind, wasHealthy: boolean): void {
    if (wasHealthy) this.previousEnd = { kind, lastFrameAt: this.lastFrameAt, server: this.server };
    else this.stats.failedAttempts++;
  }

  /** A connection to `server` turned healthy: counts it, and the gap if it is a reconnect. */
  healthy(server = ''): void {
    this.stats.connections++;
    const previous = this.previousEnd;
    // The server's word, kept in the summary: bounded, so no server can make it grow.
    this.server = server.slice(0, MAX_SERVER_ID_LENGTH);
    if (!previous) return;
    this.stats.reconnects++;
    const gapMs = Math.round(performance.now() - previous.lastFrameAt);
    (previous.kind === 'drain' ? this.stats.gapsAfterDrain : this.stats.gapsAfterFailure).push({ ms: gapMs, server: previous.server });
  }
}
