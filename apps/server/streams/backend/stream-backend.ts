/** One entry of a channel's stream. */
export interface StreamEntry {
  /** Position in the channel within its epoch: 1, 2, 3, … */
  offset: number;
  /** The publisher's id for it. */
  id: string;
  payload: Record<string, unknown>;
}

/** An earlier epoch the current one continues: its entries up to `upTo` are the same entries in both. */
export interface EpochLink {
  epoch: string;
  upTo: number;
}

/** Where a channel stands: its epoch and its latest offset (0: nothing appended yet). */
export interface ChannelPosition {
  epoch: string;
  /** The latest offset subscribers may be sent. */
  top: number;
  /** The epochs this one continues, newest first (empty: it continues none). */
  lineage: EpochLink[];
}

/**
 * The last offset of `epoch` that the channel's current epoch still shares (the entries up to it
 * are the same in both), `Infinity` when `epoch` is the current one, or undefined when the
 * current epoch does not continue it.
 */
export function sharedUpTo(position: ChannelPosition, epoch: string): number | undefined {
  if (epoch === position.epoch) return Number.POSITIVE_INFINITY;
  let shared = Number.POSITIVE_INFINITY;
  for (const link of position.lineage) {
    shared = Math.min(shared, link.upTo);
    if (link.epoch === epoch) return shared;
  }
  return undefined;
}

export interface AppendResult {
  epoch: string;
  offset: number;
  /** True when `(channel, id)` had been appended before: `offset` is the original one. */
  duplicate: boolean;
}

/** A page of history: the entries after an offset, oldest first, in the channel's current epoch. */
export interface HistoryPage {
  epoch: string;
  /** The latest offset readers may be sent now: a page ends there even when later entries exist (not yet on their replicas). */
  top: number;
  entries: StreamEntry[];
}

/** What a live listener is told. */
export interface LiveListener {
  /** An entry appended after the listener was registered (in offset order per channel; a gap is possible after a backend outage). */
  entry(epoch: string, entry: StreamEntry): void;
  /** The live feed stopped (the backend connection was lost): entries may be appended meanwhile, unseen. */
  stalled(): void;
  /** The live feed is back and may have missed entries: catch up from history. */
  resync(): void;
}

/** The backend cannot be reached or did not answer in time; nothing was done. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/**
 * Where channel streams live: history, offsets, epochs and publish dedup. `memory` keeps them
 * in this process; `redis` in a Redis shared by every replica. Every method that talks to the
 * backend rejects with `BackendUnavailableError` when it cannot, having changed nothing.
 *
 * An abstract class rather than an interface, so that it is also the injection token.
 */
export abstract class StreamBackend {
  /** Appends once per `(channel, id)` within the dedup window; resolves once durable in the backend. */
  abstract append(channel: string, id: string, payload: Record<string, unknown>): Promise<AppendResult>;

  /** The channel's epoch and latest offset (a channel never written to gets an epoch and top 0). */
  abstract position(channel: string): Promise<ChannelPosition>;

  /**
   * Moves the channel to a new epoch that continues none, if its epoch is still `expected`: for a
   * loss found by comparing what was delivered with what the backend holds. Resolves with the
   * epoch now (the new one, or whichever another caller set first).
   */
  abstract renewEpoch(channel: string, expected: string): Promise<string>;

  /** Up to `limit` entries with offsets above `after`, oldest first. */
  abstract read(channel: string, after: number, limit: number): Promise<HistoryPage>;

  /**
   * Registers `listener` for entries appended to `channel` from now on. Resolves, with the
   * function that unregisters it, once registration is in effect: an entry appended after that
   * reaches the listener.
   */
  abstract listen(channel: string, listener: LiveListener): Promise<() => void>;

  /** Resolves once the backend can be used (at once for one that needs no connection). */
  abstract whenUp(): Promise<void>;

  /** Releases connections and timers. */
  abstract close(): Promise<void>;
}

/** What every backend keeps of a channel, and for how long. */
export interface HistoryLimits {
  /** Entries kept per channel. */
  historySize: number;
  /** A channel untouched this long loses its history, offsets and epoch together; 0 = never. */
  historyTtlMs: number;
  /** How long a `(channel, id)` is remembered for exactly-once appends. */
  dedupTtlMs: number;
}
