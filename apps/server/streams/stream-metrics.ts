/** How a publish was answered. */
export type PublishOutcome = 'appended' | 'duplicate' | 'unavailable';

/** A call into the stream backend. */
export type BackendOperation = 'append' | 'position' | 'read' | 'listen' | 'renew';

/**
 * What the streams report about themselves. An interface, so that streams do not depend on a
 * metrics library; `ServerMetrics` implements it.
 */
export interface StreamMetrics {
  /** A publish was answered `durationMs` after it was taken. */
  published(outcome: PublishOutcome, durationMs: number): void;
  /** A live entry was handed to a subscriber's socket `lagMs` after this replica got it from the backend. */
  fannedOut(lagMs: number): void;
  /** A backend call failed: the backend could not be reached or did not answer in time. */
  backendError(operation: BackendOperation): void;
  /** The backend's connection came up or went down. */
  backendUp(up: boolean): void;
  /** What this process stores as history (memory backend): bytes, and channels known. */
  historyStored(bytes: number, channels: number): void;
  /** History sent to a subscriber, in bytes of frames (charged to its connection's replay budget). */
  replayed(bytes: number): void;
  /** Entries evicted from this process's history to keep it within its byte bound. */
  historyEvicted(entries: number): void;
}
