/** Where a client stands in one channel: the last offset it received, in `epoch`. */
export interface Cursor {
  epoch: string;
  offset: number;
}

/** What the client is doing, each with why. `state$` emits one on every change. */
export type ClientState =
  | { state: 'connecting'; attempt: number }
  | { state: 'open'; serverId: string }
  /** The server announced its drain: nothing new is sent here; answers still arrive until its marker. */
  | { state: 'draining'; serverId: string; reason: string }
  | { state: 'waiting-to-reconnect'; delayMs: number; reason: string }
  | { state: 'closed'; reason: string };

/** Work the client keeps until it is answered. */
export type WorkKind = 'request' | 'publish';

/**
 * What happened, for whoever watches the client (logs, metrics, a page): one event per fact,
 * fields instead of sentences. Loss-relevant facts (`seq-gap`, `answered` with outcome
 * `unknown`, `invalid-frame`) are here; per-channel facts are on `channel(name)`.
 */
export type ClientEvent =
  | { type: 'connecting'; url: string }
  | { type: 'socket-open' }
  /** Every frame received, as text, before it is parsed. */
  | { type: 'frame'; text: string }
  | { type: 'invalid-frame'; text: string; reason: string }
  /** The connection is usable: `hello` arrived (the text dialect: the socket opened). */
  | { type: 'healthy'; serverId: string | undefined }
  | { type: 'seq-gap'; from: number; to: number }
  | { type: 'seq-backwards'; seq: number; last: number }
  | { type: 'drain-notice'; reconnectInMs: number }
  | { type: 'drain-marker'; lastSeq: number }
  /** The connection ended: by the server's drain marker, or by anything else (`error` says what). */
  | { type: 'ended'; how: 'drain' | 'failure'; wasHealthy: boolean; error?: string }
  | { type: 'reconnect-scheduled'; delayMs: number; attempt: number | undefined }
  | { type: 'socket-closed'; code: number; reason: string }
  | { type: 'sent'; kind: WorkKind; id: string; resend: boolean }
  /**
   * An answer (`result`, `published`) arrived. `duplicate`: a second answer to an id answered
   * before; `unknown`: an answer to an id this client never sent (a server fault).
   */
  | { type: 'answered'; kind: WorkKind | undefined; id: string; outcome: 'completed' | 'duplicate' | 'unknown'; appendedBefore?: boolean }
  /** A refusal the client could not resolve by sending again: the work named by `id` was rejected for good. */
  | { type: 'refused'; code: string; message: string; id?: string; channel?: string }
  | { type: 'closed' };

/** What one channel's observable emits. */
export type ChannelEvent =
  /** One entry, delivered once, in offset order. */
  | { type: 'entry'; channel: string; epoch: string; offset: number; id: string; payload: Record<string, unknown> }
  /** The server confirmed the subscription (again after every reconnect). */
  | { type: 'subscribed'; channel: string; epoch: string; top: number; recovered: boolean }
  /** Entries after `had` are gone (`recovered: false`); delivery resumes after `resumesAfter`. */
  | { type: 'loss'; channel: string; had: Cursor; resumesAfter: Cursor }
  /**
   * Offsets skipped within an epoch without the server saying so (never expected): skipped in
   * delivery (lost), or named sent by the drain marker and never received (asked for again).
   */
  | { type: 'gap'; channel: string; from: number; to: number }
  /** An entry at or below the cursor arrived again, and was dropped. */
  | { type: 'duplicate'; channel: string; offset: number }
  /** The server's live feed stopped (`live: false`) or is back; the entries in between follow. */
  | { type: 'feed'; channel: string; live: boolean }
  /** The server refused the subscription for good (a bad name, say). */
  | { type: 'refused'; channel: string; code: string; message: string };
