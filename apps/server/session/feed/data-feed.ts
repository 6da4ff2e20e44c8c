/** One business data item, as carried in a `data` frame's payload. */
export type BusinessItem = {
  /** `HH:MM:SS`, local time, as the original program printed it. */
  time: string;
  /** ISO 8601 timestamp of the same instant. */
  at: string;
  /** 1-based position among the final items of a drain; absent on periodic items. */
  index?: number;
};

/** A source of business data that a session streams to its peer until it drains. */
export interface DataFeed {
  /** Starts delivering items to `deliver`; returns the function that stops it. */
  subscribe(deliver: (item: BusinessItem) => void): () => void;
}
