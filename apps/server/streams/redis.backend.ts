import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { HistoryLimits } from './memory.backend.js';
import { APPEND_SCRIPT, POSITION_SCRIPT, READ_SCRIPT } from './redis.scripts.js';
import {
  BackendUnavailableError,
  StreamBackend,
  type AppendResult,
  type ChannelPosition,
  type HistoryPage,
  type LiveListener,
  type StreamEntry,
} from './stream-backend.js';
import type { BackendOperation, StreamMetrics } from './stream-metrics.js';

export interface RedisBackendOptions extends HistoryLimits {
  url: string;
  /** A command not answered within this is reported unavailable (it may still have run: appends are deduplicated). */
  commandTimeoutMs: number;
}

interface ScriptCommands {
  gsAppend(...args: string[]): Promise<[string, number, number]>;
  gsPosition(...args: string[]): Promise<[string, number]>;
  gsRead(...args: string[]): Promise<[string, [string, string[]][]]>;
}

/** A live entry as the append script publishes it. */
interface LiveEntry extends StreamEntry {
  epoch: string;
}

const channelKeys = (channel: string): [string, string, string] => [`gs:{${channel}}:s`, `gs:{${channel}}:top`, `gs:{${channel}}:epoch`];
const dedupKey = (channel: string, id: string): string => `gs:{${channel}}:id:${id}`;
const liveChannel = (channel: string): string => `gs:live:${channel}`;
const CHANNEL_OF_LIVE = /^gs:live:(.+)$/;

/**
 * Channels in Redis, shared by every replica: history in Redis Streams, the offset counter,
 * epoch and publish dedup keys changed atomically by one script per call. Live entries reach
 * the replicas through pub/sub, one subscription per channel that has local subscribers; a
 * replica that missed some (its pub/sub connection dropped) tells its listeners to catch up
 * from the stream, which holds every offset.
 *
 * Commands fail fast while Redis is unreachable (no offline queue): the caller answers
 * `UNAVAILABLE` and the client sends again; both connections reconnect with backoff.
 */
export class RedisStreamBackend extends StreamBackend {
  private readonly commands: Redis & ScriptCommands;
  private readonly live: Redis;
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private up: boolean | undefined;
  private liveConnectedBefore = false;

  constructor(
    private readonly options: RedisBackendOptions,
    private readonly logger: LoggerService,
    private readonly metrics: Pick<StreamMetrics, 'backendError' | 'backendUp'>,
  ) {
    super();
    const common = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      retryStrategy: (attempt: number) => Math.min(2000, 50 * 2 ** Math.min(attempt, 6)) + Math.floor(Math.random() * 50),
    };
    this.commands = new Redis(options.url, common) as Redis & ScriptCommands;
    this.commands.defineCommand('gsAppend', { numberOfKeys: 4, lua: APPEND_SCRIPT });
    this.commands.defineCommand('gsPosition', { numberOfKeys: 3, lua: POSITION_SCRIPT });
    this.commands.defineCommand('gsRead', { numberOfKeys: 3, lua: READ_SCRIPT });
    this.commands.on('ready', () => this.setUp(true));
    this.commands.on('error', (err: Error) => this.setUp(false, err.message));
    this.commands.on('close', () => this.setUp(false, 'connection closed'));

    this.live = new Redis(options.url, { ...common, autoResubscribe: true });
    this.live.on('error', () => undefined);
    this.live.on('ready', () => {
      // After a reconnect pub/sub may have missed entries: every listener catches up from the stream.
      if (this.liveConnectedBefore) for (const set of this.listeners.values()) for (const listener of set) listener.resync();
      this.liveConnectedBefore = true;
    });
    this.live.on('message', (name: string, text: string) => this.onLive(name, text));
  }

  async append(channel: string, id: string, payload: Record<string, unknown>): Promise<AppendResult> {
    const { historySize, historyTtlMs, dedupTtlMs } = this.options;
    const [epoch, offset, duplicate] = await this.call('append', () =>
      this.commands.gsAppend(
        ...channelKeys(channel),
        dedupKey(channel, id),
        id,
        JSON.stringify(payload),
        String(historySize),
        String(historyTtlMs),
        String(dedupTtlMs),
        randomUUID(),
        liveChannel(channel),
      ),
    );
    return { epoch, offset, duplicate: duplicate === 1 };
  }

  async position(channel: string): Promise<ChannelPosition> {
    const [epoch, top] = await this.call('position', () => this.commands.gsPosition(...channelKeys(channel), randomUUID(), String(this.options.historyTtlMs)));
    return { epoch, top };
  }

  async read(channel: string, after: number, limit: number): Promise<HistoryPage> {
    const [epoch, raw] = await this.call('read', () => this.commands.gsRead(...channelKeys(channel), String(after + 1), String(limit)));
    return { epoch, entries: raw.map(([streamId, fields]) => toEntry(streamId, fields)) };
  }

  async listen(channel: string, listener: LiveListener): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    try {
      // Resolves once Redis confirmed the subscription (at once if this replica already had it).
      await this.call('listen', () => this.live.subscribe(liveChannel(channel)));
    } catch (err) {
      this.unlisten(channel, listener);
      throw err;
    }
    return () => this.unlisten(channel, listener);
  }

  /** Resolves once both connections (commands and pub/sub) are ready. */
  async whenUp(): Promise<void> {
    await Promise.all(
      [this.commands, this.live].map((connection) =>
        connection.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => connection.once('ready', () => resolve())),
      ),
    );
  }

  /** Disconnects at once, and stops reconnecting (QUIT would wait, or fail, on a Redis that is down). */
  close(): Promise<void> {
    this.listeners.clear();
    this.commands.disconnect();
    this.live.disconnect();
    return Promise.resolve();
  }

  private unlisten(channel: string, listener: LiveListener): void {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.live.unsubscribe(liveChannel(channel)).catch(() => undefined);
  }

  private onLive(name: string, text: string): void {
    const channel = CHANNEL_OF_LIVE.exec(name)?.[1];
    const set = channel === undefined ? undefined : this.listeners.get(channel);
    if (!set) return;
    let live: LiveEntry;
    try {
      live = JSON.parse(text) as LiveEntry;
    } catch {
      // Not from our script (anyone can PUBLISH): ignore it; the stream itself is the record.
      this.logger.warn(`Stream backend redis: ignored a malformed live message on ${name.slice(0, 120)}`);
      return;
    }
    const { epoch, ...entry } = live;
    for (const listener of set) listener.entry(epoch, entry);
  }

  /** Runs a command; any failure to get an answer becomes `BackendUnavailableError`. */
  private async call<T>(operation: BackendOperation, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      this.metrics.backendError(operation);
      throw new BackendUnavailableError(`stream backend unavailable: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Logs only changes of state, however often ioredis reports the same one. */
  private setUp(up: boolean, reason?: string): void {
    if (this.up === up) return;
    const first = this.up === undefined;
    this.up = up;
    this.metrics.backendUp(up);
    if (up) this.logger.log(`Stream backend redis: connected`);
    else if (!first || reason) this.logger.warn(`Stream backend redis: unreachable (${reason ?? 'unknown'}); reconnecting with backoff`);
  }
}

function toEntry(streamId: string, fields: string[]): StreamEntry {
  const values = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2) values.set(fields[index]!, fields[index + 1]!);
  return {
    offset: Number(streamId.slice(0, streamId.indexOf('-'))),
    id: values.get('id') ?? '',
    payload: JSON.parse(values.get('payload') ?? '{}') as Record<string, unknown>,
  };
}
