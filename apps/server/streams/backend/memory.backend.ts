import { randomUUID } from 'node:crypto';
import {
  StreamBackend,
  type AppendResult,
  type ChannelPosition,
  type HistoryLimits,
  type HistoryPage,
  type LiveListener,
  type StreamEntry,
} from './stream-backend.js';
import type { StreamMetrics } from '../stream-metrics.js';

/** The memory backend's own bound: all channels' history together. */
export interface MemoryHistoryLimits extends HistoryLimits {
  /** Bytes of stored history (payload JSON and id) across every channel: the oldest entries go first. */
  historyMaxBytes: number;
}

/** Bookkeeping per stored entry beyond its payload and id (offset, object headers): an estimate. */
const ENTRY_OVERHEAD_BYTES = 64;

interface Channel {
  name: string;
  epoch: string;
  top: number;
  /** The newest `historySize` entries, oldest first, with consecutive offsets. */
  history: StreamEntry[];
  /** The size of each entry of `history`, in the same order, and their sum. */
  sizes: number[];
  bytes: number;
  /** Publisher id → where it was appended, and when it stops being remembered. */
  appended: Map<string, { epoch: string; offset: number; expiresAt: number }>;
  listeners: Set<LiveListener>;
  touchedAt: number;
}

/**
 * Channels in this process's memory. History and epochs die with the process, so a client that
 * moves to another replica cannot recover what it missed (it is told: `recovered: false`).
 * That is the honest default for one replica and for development; `redis` is the shared one.
 *
 * Stored history is bounded twice: `historySize` entries per channel, and `historyMaxBytes`
 * across all of them, whatever names peers publish to. Over the byte bound the oldest entries of
 * the process go first, whichever channel holds them — an eviction is a trim like any other: a
 * subscriber that still needed one is told (`recovered: false`). A channel left with no entry and
 * no subscriber is dropped with its epoch; using it again begins a new one.
 */
export class MemoryStreamBackend extends StreamBackend {
  private readonly channels = new Map<string, Channel>();
  /** Every stored entry, oldest first across channels (with stale records of entries already gone). */
  private order: { channel: Channel; offset: number }[] = [];
  private orderHead = 0;
  private storedEntries = 0;
  private storedBytes = 0;

  constructor(
    private readonly limits: MemoryHistoryLimits,
    private readonly metrics?: Pick<StreamMetrics, 'historyStored' | 'historyEvicted'>,
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
    this.store(channel, entry, Buffer.byteLength(JSON.stringify(payload)) + id.length + ENTRY_OVERHEAD_BYTES);
    if (channel.history.length > this.limits.historySize) this.dropOldest(channel);
    channel.appended.set(id, { epoch: channel.epoch, offset: entry.offset, expiresAt: now + this.limits.dedupTtlMs });
    this.forgetExpiredIds(channel, now);
    const result = { epoch: channel.epoch, offset: entry.offset, duplicate: false };
    for (const listener of channel.listeners) listener.entry(channel.epoch, entry);
    this.evictOverBudget();
    return Promise.resolve(result);
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
    this.order = [];
    this.orderHead = this.storedEntries = this.storedBytes = 0;
    return Promise.resolve();
  }

  /** The channel's state, begun anew (new epoch, offsets from 1) when it never existed or expired. */
  private channel(name: string): Channel {
    const now = this.now();
    let channel = this.channels.get(name);
    const expired = channel !== undefined && this.limits.historyTtlMs > 0 && now - channel.touchedAt >= this.limits.historyTtlMs;
    if (!channel || expired) {
      if (channel) this.forgetHistory(channel);
      channel = {
        name,
        epoch: randomUUID(),
        top: 0,
        history: [],
        sizes: [],
        bytes: 0,
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

  private store(channel: Channel, entry: StreamEntry, bytes: number): void {
    channel.history.push(entry);
    channel.sizes.push(bytes);
    channel.bytes += bytes;
    this.storedEntries++;
    this.storedBytes += bytes;
    this.order.push({ channel, offset: entry.offset });
  }

  private dropOldest(channel: Channel): void {
    channel.history.shift();
    const bytes = channel.sizes.shift()!;
    channel.bytes -= bytes;
    this.storedEntries--;
    this.storedBytes -= bytes;
  }

  /** A channel's whole history leaves the budget (it expired, or is being replaced). */
  private forgetHistory(channel: Channel): void {
    this.storedEntries -= channel.history.length;
    this.storedBytes -= channel.bytes;
    channel.history = [];
    channel.sizes = [];
    channel.bytes = 0;
  }

  /** Whether `record` names an entry still stored (offsets in a history are consecutive). */
  private isStored({ channel, offset }: { channel: Channel; offset: number }): boolean {
    const first = channel.history[0];
    return first !== undefined && offset >= first.offset && this.channels.get(channel.name) === channel;
  }

  /** Evicts the oldest entries of the process until the stored history fits `historyMaxBytes`. */
  private evictOverBudget(): void {
    let evicted = 0;
    while (this.storedBytes > this.limits.historyMaxBytes && this.orderHead < this.order.length) {
      const record = this.order[this.orderHead++]!;
      // Gone already (trimmed to historySize, or its channel expired or was dropped).
      if (!this.isStored(record)) continue;
      // The oldest stored entry of all is the oldest of its channel too.
      this.dropOldest(record.channel);
      evicted++;
      const { channel } = record;
      if (channel.history.length === 0 && channel.listeners.size === 0) this.channels.delete(channel.name);
    }
    // Stale records (entries trimmed to historySize) pile up behind a long-lived one: compacted
    // once they outnumber the stored entries, so the index stays within twice the history.
    if (this.order.length - this.orderHead > 2 * this.storedEntries + 1024) {
      this.order = this.order.slice(this.orderHead).filter((record) => this.isStored(record));
      this.orderHead = 0;
    }
    if (evicted > 0) this.metrics?.historyEvicted(evicted);
    this.metrics?.historyStored(this.storedBytes, this.channels.size);
  }

  private forgetExpiredIds(channel: Channel, now: number): void {
    // Insertion order is expiry order (one TTL for all), so the oldest are first.
    for (const [id, { expiresAt }] of channel.appended) {
      if (expiresAt > now) break;
      channel.appended.delete(id);
    }
  }
}
