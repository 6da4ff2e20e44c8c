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

/** The memory backend's own bound: all channels' history and remembered publish ids together. */
export interface MemoryHistoryLimits extends HistoryLimits {
  /** Bytes of stored history (payload JSON and id) and of remembered publish ids across every channel: the oldest go first. */
  historyMaxBytes: number;
}

/** Bookkeeping per stored entry beyond its payload and id (offset, object headers): an estimate. */
const ENTRY_OVERHEAD_BYTES = 64;
/**
 * Bookkeeping per remembered publish id beyond the id (map slot, its record, the string's header,
 * its record in the eviction index): 210–430 bytes of heap per id on Node 24, with the index
 * between compactions. Counted so that the heap stays within twice the bound: 1.0–1.8× measured
 * over 3 million appends of large, tiny and small-field payloads.
 */
const ID_OVERHEAD_BYTES = 192;

/** What a remembered publish id costs against `historyMaxBytes`. */
function idBytes(id: string): number {
  return id.length + ID_OVERHEAD_BYTES;
}

/** Where a publish id was appended, and when it stops being remembered. */
interface Appended {
  epoch: string;
  offset: number;
  expiresAt: number;
}

/** One append, oldest first across the process: its entry, then its remembered id, go when the bound is exceeded. */
interface AppendRecord {
  channel: Channel;
  epoch: string;
  offset: number;
  id: string;
}

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
  appended: Map<string, Appended>;
  /** What the ids in `appended` count against the bound. */
  appendedBytes: number;
  listeners: Set<LiveListener>;
  touchedAt: number;
}

/**
 * Channels in this process's memory. History and epochs die with the process, so a client that
 * moves to another replica cannot recover what it missed (it is told: `recovered: false`).
 * That is the honest default for one replica and for development; `redis` is the shared one.
 *
 * Stored history is bounded twice: `historySize` entries per channel, and `historyMaxBytes`
 * across all of them, whatever names peers publish to. The byte bound also holds the publish ids
 * remembered for de-duplication, which outlive their entries (`dedupTtlMs`): without that, peers
 * publishing small entries at their allowed rate would grow the ids past any memory limit while
 * the history stays trimmed. Over the bound the oldest appends of the process go first, whichever
 * channel holds them: the entry — a trim like any other: a subscriber that still needed it is
 * told (`recovered: false`) — and its id (a re-send of it is then appended again, as in Redis
 * when its dedup key was evicted). A channel left with no entry and no subscriber is dropped with
 * its epoch; using it again begins a new one.
 */
export class MemoryStreamBackend extends StreamBackend {
  private readonly channels = new Map<string, Channel>();
  /** Every append, oldest first across channels (with stale records of entries and ids already gone). */
  private order: AppendRecord[] = [];
  private orderHead = 0;
  private storedEntries = 0;
  private rememberedIds = 0;
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
    this.remember(channel, id, { epoch: channel.epoch, offset: entry.offset, expiresAt: now + this.limits.dedupTtlMs });
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
        this.dropChannel(channel);
      }
    });
  }

  whenUp(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.channels.clear();
    this.order = [];
    this.orderHead = this.storedEntries = this.rememberedIds = this.storedBytes = 0;
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
        appended: channel?.appended ?? new Map<string, Appended>(),
        appendedBytes: channel?.appendedBytes ?? 0,
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
    this.order.push({ channel, epoch: channel.epoch, offset: entry.offset, id: entry.id });
  }

  private remember(channel: Channel, id: string, appended: Appended): void {
    // Deleted first, so the map's order stays expiry order when an expired id is used again.
    this.forgetId(channel, id);
    channel.appended.set(id, appended);
    channel.appendedBytes += idBytes(id);
    this.storedBytes += idBytes(id);
    this.rememberedIds++;
  }

  private forgetId(channel: Channel, id: string): void {
    if (!channel.appended.delete(id)) return;
    channel.appendedBytes -= idBytes(id);
    this.storedBytes -= idBytes(id);
    this.rememberedIds--;
  }

  /** A channel and everything it holds leave the process (its history is already gone): the one way a channel is dropped. */
  private dropChannel(channel: Channel): void {
    this.channels.delete(channel.name);
    this.storedBytes -= channel.appendedBytes;
    this.rememberedIds -= channel.appended.size;
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
  private isStored({ channel, offset }: AppendRecord): boolean {
    const first = channel.history[0];
    return first !== undefined && offset >= first.offset && this.channels.get(channel.name) === channel;
  }

  /** The channel that still remembers `record`'s id for that append (an expired channel's successor keeps its ids). */
  private remembering({ channel, epoch, offset, id }: AppendRecord): Channel | undefined {
    const current = this.channels.get(channel.name);
    const appended = current?.appended.get(id);
    return appended?.epoch === epoch && appended.offset === offset ? current : undefined;
  }

  /** Evicts the oldest appends of the process (entry and id) until what they left fits `historyMaxBytes`. */
  private evictOverBudget(): void {
    let evicted = 0;
    while (this.storedBytes > this.limits.historyMaxBytes && this.orderHead < this.order.length) {
      const record = this.order[this.orderHead++]!;
      const { channel } = record;
      // The oldest stored entry of all is the oldest of its channel too. (Not stored: trimmed to
      // historySize, or its channel expired or was dropped.)
      if (this.isStored(record)) {
        this.dropOldest(channel);
        evicted++;
      }
      const remembering = this.remembering(record);
      if (remembering) this.forgetId(remembering, record.id);
      if (this.channels.get(channel.name) === channel && channel.history.length === 0 && channel.listeners.size === 0) {
        this.dropChannel(channel);
      }
    }
    // The index is compacted once it is mostly stale: its front (appends evicted) and the records
    // whose entry was trimmed to historySize and whose id expired. Counting the front too keeps a
    // steady eviction from growing it forever; the index stays within twice what is held, and the
    // filter costs O(1) per append, amortised.
    if (this.order.length > 2 * (this.storedEntries + this.rememberedIds) + 1024) {
      this.order = this.order.slice(this.orderHead).filter((record) => this.isStored(record) || this.remembering(record) !== undefined);
      this.orderHead = 0;
    }
    if (evicted > 0) this.metrics?.historyEvicted(evicted);
    this.metrics?.historyStored(this.storedBytes, this.channels.size);
  }

  private forgetExpiredIds(channel: Channel, now: number): void {
    // Insertion order is expiry order (one TTL for all), so the oldest are first.
    for (const [id, { expiresAt }] of channel.appended) {
      if (expiresAt > now) break;
      this.forgetId(channel, id);
    }
  }
}
