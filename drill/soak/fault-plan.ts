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
  'client-restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  kind: FaultKind;
  /** Wait before it, after the previous fault was started. */
  afterMs: number;
}

/**
 * The soak's randomness, all from one seed: which fault comes next, the spacing before it, and
 * which pod it hits. The same seed replays the same plan (pod choices are by position among the
 * live pods, so a replay hits the same positions, whatever the pods are named).
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

  /** The next fault, among those `applicable` now (the caller knows the cluster's state). */
  next(applicable: readonly FaultKind[] = FAULT_KINDS): PlannedFault {
    const afterMs = uniformInt(this.rng, this.spacingMs.min, this.spacingMs.max);
    return { kind: this.pick(applicable), afterMs };
  }

  /** One of `items`, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('nothing to pick from');
    return items[uniformInt(this.rng, 0, items.length - 1)]!;
  }
}
