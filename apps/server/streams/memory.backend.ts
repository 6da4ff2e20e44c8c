import { randomUUID } from 'node:crypto';
import {
  StreamBackend,
  type AppendResult,
  type ChannelPosition,
  type HistoryPage,
  type LiveListener,
  type StreamEntry,
} from './stream-backend.js';

export interface HistoryLimits {
  /** Entries kept per channel. */
  historySize: number;
  /** A channel untouched this long loses its history, offsets and epoch together; 0 = never. */
  historyTtlMs: number;
  /** How long a `(channel, id)` is remembered for exactly-once appends. */
  dedupTtlMs: number;
}

interface Channel {
  epoch: string;
  top: number;
  /** The newest `historySize` entries, oldest first. */
  history: StreamEntry[];
  /** Publisher id → where it was appended, and when it stops being remembered. */
  appended: Map<string, { epoch: string; offset: number; expiresAt: number }>;
  listeners: Set<LiveListener>;
  touchedAt: number;
}

/**
 * Channels in this process's memory. History and epochs die with the process, so a client that
 * moves to another replica cannot recover what it missed (it is told: `recovered: false`).
 * That is the honest default for one replica and for development; `redis` is the shared one.
 */
export class MemoryStreamBackend extends StreamBackend {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly limits: HistoryLimits,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  append(name: string, id: string, payload: Record<string, unknown>): Promise<AppendResult> {
    const channel = this.channel(name);
    const now = this.now();
    const earlier = channel.appended.get(id);
    if (earlier && earlier.expiresAt > now) return Promise.resolve({ epoch: earlier.epoch, offset: earlier.offset, duplicate: true });
    const entry: StreamEntry = { offset: ++channel.top, id, payload };
    channel.history.push(entry);
    if (channel.history.length > this.limits.historySize) channel.history.shift();
    channel.appended.set(id, { epoch: channel.epoch, offset: entry.offset, expiresAt: now + this.limits.dedupTtlMs });
    this.forgetExpiredIds(channel, now);
    for (const listener of channel.listeners) listener.entry(channel.epoch, entry);
    return Promise.resolve({ epoch: channel.epoch, offset: entry.offset, duplicate: false });
  }

  position(name: string): Promise<ChannelPosition> {
    const { epoch, top } = this.channel(name);
    // A process's channels never continue an earlier epoch: they die with it.
    return Promise.resolve({ epoch, top, lineage: [] });
  }

  renewEpoch(name: string, expected: string): Promise<string> {
    const channel = this.channel(name);
    if (channel.epoch === expected) channel.epoch = randomUUID();
    return Promise.resolve(channel.epoch);
  }

  read(name: string, after: number, limit: number): Promise<HistoryPage> {
    const { epoch, top, history } = this.channel(name);
    const first = history.findIndex((entry) => entry.offset > after);
    return Promise.resolve({ epoch, top, entries: first < 0 ? [] : history.slice(first, first + limit) });
  }

  listen(name: string, listener: LiveListener): Promise<() => void> {
    const channel = this.channel(name);
    channel.listeners.add(listener);
    return Promise.resolve(() => {
      channel.listeners.delete(listener);
      // A channel only ever looked at leaves no state behind: subscribing to many names costs nothing lasting.
      if (channel.listeners.size === 0 && channel.top === 0 && channel.appended.size === 0 && this.channels.get(name) === channel) {
        this.channels.delete(name);
      }
    });
  }

  whenUp(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.channels.clear();
    return Promise.resolve();
  }

  /** The channel's state, begun anew (new epoch, offsets from 1) when it never existed or expired. */
  private channel(name: string): Channel {
    const now = this.now();
    let channel = this.channels.get(name);
    const expired = channel !== undefined && this.limits.historyTtlMs > 0 && now - channel.touchedAt >= this.limits.historyTtlMs;
    if (!channel || expired) {
      channel = {
        epoch: randomUUID(),
        top: 0,
        history: [],
        // Ids outlive the history, as Redis' dedup keys do.
        appended: channel?.appended ?? new Map<string, { epoch: string; offset: number; expiresAt: number }>(),
        listeners: channel?.listeners ?? new Set<LiveListener>(),
        touchedAt: now,
      };
      this.channels.set(name, channel);
    }
    channel.touchedAt = now;
    return channel;
  }

  private forgetExpiredIds(channel: Channel, now: number): void {
    // Insertion order is expiry order (one TTL for all), so the oldest are first.
    for (const [id, { expiresAt }] of channel.appended) {
      if (expiresAt > now) break;
      channel.appended.delete(id);
    }
  }
}
