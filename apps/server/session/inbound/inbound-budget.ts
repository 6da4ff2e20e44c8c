import { TokenBucket } from './token-bucket.js';

/** A connection's inbound allowance (docs/limits-and-security.md). */
export interface InboundLimits {
  framesPerSec: number;
  bytesPerSec: number;
  /** Bursts of up to this many seconds' worth are taken at once. */
  burstSeconds: number;
  /** A peer this many seconds of budget in debt is closed with 1008. */
  closeAfterDebtSeconds: number;
}

/** What the budget says about a frame just read. */
export type Verdict =
  | { kind: 'within' }
  /** Over budget: stop reading for `pauseMs`. */
  | { kind: 'over'; pauseMs: number }
  /** So far over budget that the peer is closed. */
  | { kind: 'abuse' };

/** One clock for every budget (a bound `performance.now` per bucket would cost a function each). */
const monotonicMs = (): number => performance.now();

/**
 * Frames per second and bytes per second, each its own bucket; the stricter one decides. The
 * buckets are made at the first frame: until then both would only be full, and most connections
 * send little, so an idle one does not pay for two.
 */
export class InboundBudget {
  private buckets: { frames: TokenBucket; bytes: TokenBucket } | undefined;

  constructor(
    private readonly limits: InboundLimits,
    private readonly now: () => number = monotonicMs,
  ) {}

  /** Charges one frame of `byteLength` bytes. */
  charge(byteLength: number): Verdict {
    const { frames, bytes } = (this.buckets ??= this.fullBuckets());
    const frameDebt = frames.take(1);
    const byteDebt = bytes.take(byteLength);
    if (frameDebt === 0 && byteDebt === 0) return { kind: 'within' };
    const debtSeconds = Math.max(frames.debtSeconds(), bytes.debtSeconds());
    if (debtSeconds > this.limits.closeAfterDebtSeconds) return { kind: 'abuse' };
    return { kind: 'over', pauseMs: Math.max(frames.msUntilPaid(), bytes.msUntilPaid()) };
  }

  private fullBuckets(): { frames: TokenBucket; bytes: TokenBucket } {
    const { framesPerSec, bytesPerSec, burstSeconds } = this.limits;
    return {
      frames: new TokenBucket(framesPerSec, framesPerSec * burstSeconds, this.now),
      bytes: new TokenBucket(bytesPerSec, bytesPerSec * burstSeconds, this.now),
    };
  }
}
