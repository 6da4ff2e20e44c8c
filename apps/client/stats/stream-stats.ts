import { LatencyHistogram } from './latency-histogram.js';

/** Stream counters of one virtual client (DESIGN §4a); summed over the fleet in the summary. */
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
  // Per channel, created with the first channel followed (most virtual clients follow none).
  private offsets: Map<string, number> | undefined;
  private receivedAt: Map<string, number> | undefined;

  /** Last offset received per channel, for the "everyone reached the end" check. */
  get lastOffsets(): ReadonlyMap<string, number> {
    return this.offsets ?? NO_CHANNELS;
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
