/** Latencies above this many ms all land in the last bucket. */
const MAX_TRACKED_MS = 60_000;

/**
 * Latencies counted per millisecond: constant memory however many are recorded (a fleet of
 * subscribers records millions), exact to 1 ms, mergeable across virtual clients.
 */
export class LatencyHistogram {
  /** Created with the first latency: most virtual clients follow no channel and record none. */
  private counts: Map<number, number> | undefined;
  count = 0;
  max: number | null = null;

  record(ms: number): void {
    const bucket = Math.min(MAX_TRACKED_MS, Math.max(0, Math.round(ms)));
    const counts = (this.counts ??= new Map<number, number>());
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    this.count++;
    this.max = Math.max(this.max ?? 0, Math.round(ms));
  }

  /** All of `histograms` in one. */
  static merge(histograms: LatencyHistogram[]): LatencyHistogram {
    const merged = new LatencyHistogram();
    for (const histogram of histograms) {
      const counts = (merged.counts ??= new Map<number, number>());
      for (const [bucket, count] of histogram.counts ?? []) counts.set(bucket, (counts.get(bucket) ?? 0) + count);
      merged.count += histogram.count;
      if (histogram.max !== null) merged.max = Math.max(merged.max ?? 0, histogram.max);
    }
    return merged;
  }

  /** Nearest-rank percentile; null when nothing was recorded. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    const counts = this.counts!; // count > 0: something was recorded
    for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
      seen += counts.get(bucket)!;
      if (seen >= rank) return bucket;
    }
    return this.max;
  }
}
