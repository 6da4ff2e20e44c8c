/**
 * A token bucket that may go into debt: it holds up to `capacity` tokens, refills at `ratePerSec`,
 * and `take` always subtracts, so a peer that overspends owes the excess. The debt says how long
 * it must stay quiet.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.refilledAt = now();
  }

  /** Spends `amount`; returns the debt left (0 when within budget). */
  take(amount: number): number {
    this.refill();
    this.tokens -= amount;
    return Math.max(0, -this.tokens);
  }

  /** How long, from now, until the debt is paid off. */
  msUntilPaid(): number {
    this.refill();
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSec) * 1000);
  }

  /** The debt, in seconds of budget. */
  debtSeconds(): number {
    return Math.max(0, -this.tokens) / this.ratePerSec;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSec);
    this.refilledAt = now;
  }
}
