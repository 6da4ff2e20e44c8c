import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** What the soak does to the system, one at a time, while traffic flows. */
export const FAULT_KINDS = [
  'graceful-delete',
  'sigkill',
  'rolling-step',
  'scale-out',
  'scale-in',
  'propagation-spike',
  'redis-restart',
  'redis-data-loss',
  'redis-failover',
  'redis-lagging-failover',
  'client-restart',
  'client-kill',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  kind: FaultKind;
  /** Wait before it, after the previous fault was started. */
  afterMs: number;
  /** Its own random number, for its choices (which pod, how long a spike). */
  roll: number;
}

/**
 * The soak's randomness, all from one seed: which fault comes next, the spacing before it, and a
 * number for its own choices. Every fault draws the same amount, so the same seed plans the same
 * sequence whatever happened in the run (the soak skips, and reports, a fault that cannot apply
 * at its moment, rather than drawing another).
 */
export class FaultPlan {
  private readonly rng: ReturnType<typeof xoroshiro128plus>;

  constructor(
    readonly seed: number,
    private readonly spacingMs: { min: number; max: number },
  ) {
    this.rng = xoroshiro128plus(seed);
  }

  /** A fresh seed for a run that was given none (printed, so the run can be replayed). */
  static randomSeed(): number {
    return Math.floor(Math.random() * 2 ** 31);
  }

  next(): PlannedFault {
    const afterMs = uniformInt(this.rng, this.spacingMs.min, this.spacingMs.max);
    const kind = FAULT_KINDS[uniformInt(this.rng, 0, FAULT_KINDS.length - 1)]!;
    return { kind, afterMs, roll: uniformInt(this.rng, 0, 2 ** 31 - 1) };
  }
}

/** One of `items`, chosen by a fault's `roll`. */
export function choose<T>(items: readonly T[], roll: number): T {
  if (items.length === 0) throw new Error('nothing to choose from');
  return items[roll % items.length]!;
}
