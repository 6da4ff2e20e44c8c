import { setTimeout as delay } from 'node:timers/promises';
import { TokenBucket } from '../../session/inbound/token-bucket.js';
import type { StreamMetrics } from '../stream-metrics.js';

/** Bursts of this many seconds' worth of replay are taken at once. */
const BURST_SECONDS = 2;

/**
 * What one connection may replay from history, in bytes per second, across all its
 * subscriptions: a replay spends it, and the next page of history is read only once the
 * connection is out of debt. A peer that re-subscribes from the start in a loop can then not turn
 * 100-byte frames into megabytes of backend reads at will, and a subscriber that really is behind
 * still gets everything, at the budget's pace.
 */
export class ReplayBudget {
  private readonly bucket: TokenBucket;

  constructor(
    bytesPerSec: number,
    private readonly metrics: Pick<StreamMetrics, 'replayed'>,
    now: () => number = () => performance.now(),
  ) {
    this.bucket = new TokenBucket(bytesPerSec, bytesPerSec * BURST_SECONDS, now);
  }

  /** Charges `bytes` just replayed. */
  spend(bytes: number): void {
    this.bucket.take(bytes);
    this.metrics.replayed(bytes);
  }

  /** Resolves once the connection is out of debt (at once when it is). */
  async ready(): Promise<void> {
    const waitMs = this.bucket.msUntilPaid();
    if (waitMs > 0) await delay(waitMs);
  }
}
