import type { SequencedBody } from '@app/protocol';

/** One business data item, as carried in a `data` frame's payload. */
export type BusinessItem = {
  /** `HH:MM:SS`, local time, as the original program printed it. */
  time: string;
  /** ISO 8601 timestamp of the same instant. */
  at: string;
  /** 1-based position among the final items of a drain; absent on periodic items. */
  index?: number;
};

/** Where a feed's `data` frames go: the connection's `Outbound`, which numbers them. */
export interface DataSink {
  sendSequenced(message: SequencedBody): number;
}

/** One connection's source of business data, streamed into its sink until the drain stops it. */
export interface DataFeed {
  start(): void;
  stop(): void;
}
