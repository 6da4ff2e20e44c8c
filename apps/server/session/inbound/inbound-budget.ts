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

/** Frames per second and bytes per second, each its own bucket; the stricter one decides. */
export class InboundBudget {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(
    private readonly limits: InboundLimits,
    now: () => number = monotonicMs,
  ) {
    this.frames = new TokenBucket(limits.framesPerSec, limits.framesPerSec * limits.burstSeconds, now);
    this.bytes = new TokenBucket(limits.bytesPerSec, limits.bytesPerSec * limits.burstSeconds, now);
  }

  /** Charges one frame of `byteLength` bytes. */
  charge(byteLength: number): Verdict {
    const frameDebt = this.frames.take(1);
    const byteDebt = this.bytes.take(byteLength);
    if (frameDebt === 0 && byteDebt === 0) return { kind: 'within' };
    const debtSeconds = Math.max(this.frames.debtSeconds(), this.bytes.debtSeconds());
    if (debtSeconds > this.limits.closeAfterDebtSeconds) return { kind: 'abuse' };
    return { kind: 'over', pauseMs: Math.max(this.frames.msUntilPaid(), this.bytes.msUntilPaid()) };
  }
}
