import { LatencyHistogram } from './latency-histogram.js';

/** Stream counters of one virtual client (docs/protocol.md, "Shared channels"); summed over the fleet in the summary. */
export class StreamStats {
  publishCreated = 0;
  /** Publishes confirmed with `published`. */
  publishAcked = 0;
  /** Confirmations that said `duplicate: true`: a re-send the backend had already appended once. */
  publishDuplicates = 0;
  /** Publishes refused because the outbox was full. */
  publishRefused = 0;
  /** Entries delivered (after dropping duplicates). */
  received = 0;
  /** Entries at or below the channel's offset: dropped. */
  duplicates = 0;
  /** Offsets skipped within one epoch: entries lost. */
  gaps = 0;
  /** `subscribed` with `recovered: false` on a re-subscribe: a loss the server told about. */
  unrecoverable = 0;
  /** Publisher's send time (in the payload) → receipt. */
  readonly latency = new LatencyHistogram();
  /** Longest time between two entries received on one channel: the worst delivery stall. */
  maxStallMs = 0;
  /** `feed` notices with `live: false`: a server's live feed for a followed channel stopped. */
  feedStalls = 0;
  /** Time from those notices to the feed coming back, for stalls that ended. */
  private feedStalledMs = 0;
  /** Per channel, when its open feed stall began (created with the first one). */
  private stalledSince: Map<string, number> | undefined;
  // Per channel, created with the first channel followed (most virtual clients follow none).
  private offsets: Map<string, number> | undefined;
  private receivedAt: Map<string, number> | undefined;

  /** Last offset received per channel, for the "everyone reached the end" check. */
  get lastOffsets(): ReadonlyMap<string, number> {
    return this.offsets ?? NO_CHANNELS;
  }

  /** The live feed of `channel` stopped at `now` (ms); a second notice while it is stopped changes nothing. */
  feedStopped(channel: string, now: number): void {
    const since = (this.stalledSince ??= new Map<string, number>());
    if (since.has(channel)) return;
    since.set(channel, now);
    this.feedStalls++;
  }

  /** The live feed of `channel` is back at `now`, or a new subscription replaced the stalled one. */
  feedResumed(channel: string, now: number): void {
    const since = this.stalledSince?.get(channel);
    if (since === undefined) return;
    this.stalledSince!.delete(channel);
    this.feedStalledMs += now - since;
  }

  /** Time spent in feed stalls up to `now`, those still open included; and how many are open. */
  feedStall(now: number): { totalMs: number; open: number } {
    let totalMs = this.feedStalledMs;
    for (const since of this.stalledSince?.values() ?? []) totalMs += now - since;
    return { totalMs, open: this.stalledSince?.size ?? 0 };
  }

  /** `channel` stands at `offset` (0: followed, nothing received yet). */
  reached(channel: string, offset: number): void {
    (this.offsets ??= new Map<string, number>()).set(channel, offset);
  }

  /** An entry of `channel` arrived at `now` (ms): the stall since the previous one counts. */
  arrived(channel: string, now: number): void {
    const receivedAt = (this.receivedAt ??= new Map<string, number>());
    const previous = receivedAt.get(channel);
    if (previous !== undefined) this.maxStallMs = Math.max(this.maxStallMs, Math.round(now - previous));
    receivedAt.set(channel, now);
  }
}

const NO_CHANNELS: ReadonlyMap<string, number> = new Map();
