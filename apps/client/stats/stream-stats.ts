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
  /** Last offset received per channel, for the "everyone reached the end" check. */
  readonly lastOffsets = new Map<string, number>();
  /** Longest time between two entries received on one channel: the worst delivery stall. */
  maxStallMs = 0;
  /** When the last entry arrived, per channel. */
  readonly lastReceivedAt = new Map<string, number>();
}
