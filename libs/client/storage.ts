import type { Cursor } from './events.js';

/** Unanswered work as stored: enough to send it again, with its id, after a restart or reload. */
export type StoredWork =
  | { kind: 'request'; id: string; payload: Record<string, unknown> }
  | { kind: 'publish'; id: string; channel: string; payload: Record<string, unknown> };

/** What a client keeps across a restart: where each channel stands, and the work not yet answered. */
export interface StoredState {
  cursors: Record<string, Cursor>;
  work: StoredWork[];
}

/**
 * Where a client keeps its state. `load` runs once, when the client is made; `save` after every
 * change (batched: at most once per turn of the event loop), with the whole state.
 */
export interface ClientStorage {
  load(): StoredState | undefined;
  save(state: StoredState): void;
}

/** The minimum of the Web Storage API (`localStorage`, `sessionStorage`) this uses. */
export interface WebStorageArea {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * Keeps the state in Web Storage under one key, so a page reload resumes every channel with
 * `since` and sends every unanswered publish and request again with its original id.
 * `localStorage` is shared by a site's tabs: give each client of a page its own `key`.
 */
export class WebStorage implements ClientStorage {
  constructor(
    private readonly area: WebStorageArea,
    private readonly key = 'graceful-client',
  ) {}

  load(): StoredState | undefined {
    const text = this.area.getItem(this.key);
    if (text === null) return undefined;
    try {
      return parseStoredState(JSON.parse(text));
    } catch {
      // Written by another version or edited by hand: start afresh rather than fail the page.
      return undefined;
    }
  }

  save(state: StoredState): void {
    this.area.setItem(this.key, JSON.stringify(state));
  }
}

/** Keeps the state in this object: survives a reconnect, not a restart. For tests and tools. */
export class MemoryStorage implements ClientStorage {
  private state: StoredState | undefined;

  load(): StoredState | undefined {
    return this.state && structuredClone(this.state);
  }

  save(state: StoredState): void {
    this.state = structuredClone(state);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keeps what is well formed of a stored state; throws when it is not a state at all. */
function parseStoredState(raw: unknown): StoredState {
  if (!isRecord(raw) || !isRecord(raw.cursors) || !Array.isArray(raw.work)) throw new Error('not a stored client state');
  const cursors: Record<string, Cursor> = {};
  for (const [channel, cursor] of Object.entries(raw.cursors)) {
    if (isRecord(cursor) && typeof cursor.epoch === 'string' && Number.isSafeInteger(cursor.offset)) {
      cursors[channel] = { epoch: cursor.epoch, offset: cursor.offset as number };
    }
  }
  const work = raw.work.filter(
    (item): item is StoredWork =>
      isRecord(item) &&
      typeof item.id === 'string' &&
      isRecord(item.payload) &&
      (item.kind === 'request' || (item.kind === 'publish' && typeof item.channel === 'string')),
  );
  return { cursors, work };
}
