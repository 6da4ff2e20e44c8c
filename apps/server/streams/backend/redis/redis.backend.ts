import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { channelOfLive, logEvent, parseLineage, redisKeys } from '@app/contract';
import {
  BackendUnavailableError,
  StreamBackend,
  type AppendResult,
  type ChannelPosition,
  type HistoryLimits,
  type HistoryPage,
  type LiveListener,
  type StreamEntry,
} from '../stream-backend.js';
import type { BackendOperation, StreamMetrics } from '../../stream-metrics.js';
import { EmptyChannelKeeper } from './empty-channel-keeper.js';
import { openLiveFeed, type LiveFeed } from './live-feed.js';
import { openRedisClient, whenReady, type RedisClient } from './redis-connections.js';
import { ReplicatedWriter, type AppendReply } from './replicated-writer.js';
import { APPEND_SCRIPT, COMMIT_SCRIPT, KEEP_EMPTY_SCRIPT, POSITION_SCRIPT, READ_SCRIPT, RENEW_SCRIPT } from './redis.scripts.js';
import { describeTopology, type RedisTopology } from '../../../config/redis-topology.js';

export interface RedisBackendOptions extends HistoryLimits {
  topology: RedisTopology;
  /** A command not answered within this is reported unavailable (it may still have run: appends are deduplicated). */
  commandTimeoutMs: number;
  /** Replicas that must hold an append before it is confirmed and delivered (0: the master alone). */
  minReplicas: number;
  /** How long an append waits for those replicas before it is refused. */
  replicaTimeoutMs: number;
  /** How long the state of a channel nobody has published to lives unless subscribers keep it. */
  emptyChannelTtlMs: number;
}

interface ScriptCommands {
  gsAppend(...args: string[]): Promise<AppendReply>;
  gsCommit(...args: string[]): Promise<number>;
  gsPosition(...args: string[]): Promise<[string, number, string]>;
  gsRead(...args: string[]): Promise<[string, number, [string, string[]][]]>;
  gsRenew(...args: string[]): Promise<string>;
  gsKeepEmpty(...args: string[]): Promise<number>;
}

type ScriptedClient = RedisClient & ScriptCommands;

/** A live entry as the scripts publish it. */
interface LiveEntry extends StreamEntry {
  epoch: string;
}

/**
 * Channels in Redis, shared by every replica: history in Redis Streams, the offset counter,
 * epoch, lineage and publish dedup keys changed atomically by one script per call (see
 * `redis.scripts.ts` for how epochs survive failovers). Live entries reach the replicas through
 * pub/sub, one subscription per channel that has local subscribers; while that feed is down its
 * listeners are told (`stalled`), and when it is back they catch up from the stream (`resync`).
 *
 * With `minReplicas > 0` an append is confirmed only after `WAIT` counted that many replicas
 * (`ReplicatedWriter`), and becomes visible to subscribers (live and in history reads) only then
 * (`COMMIT_SCRIPT`): a failover cannot take back an entry that was confirmed or delivered. The
 * WAITs block a write connection of their own, so reads never queue behind them.
 *
 * Commands fail fast while no writable Redis is reachable (no offline queue): the caller answers
 * `UNAVAILABLE` and the client sends again; every connection reconnects with backoff.
 */
export class RedisStreamBackend extends StreamBackend {
  private readonly commands: ScriptedClient;
  /** Appends and their WAITs on a connection of their own, when replicas are waited for. */
  private readonly writer: { client: ScriptedClient; appends: ReplicatedWriter } | undefined;
  private readonly feed: LiveFeed;
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly keeper: EmptyChannelKeeper;
  private up: boolean | undefined;

  constructor(
    private readonly options: RedisBackendOptions,
    private readonly logger: LoggerService,
    private readonly metrics: Pick<StreamMetrics, 'backendError' | 'backendUp'>,
  ) {
    super();
    const { topology, commandTimeoutMs, minReplicas, replicaTimeoutMs } = options;
    this.commands = scripted(openRedisClient(topology, { commandTimeoutMs }));
    this.commands.on('ready', () => this.setUp(true));
    this.commands.on('error', (err: Error) => this.setUp(false, err.message));
    this.commands.on('close', () => this.setUp(false, 'connection closed'));
    if (minReplicas > 0) {
      const client = scripted(openRedisClient(topology, { commandTimeoutMs: commandTimeoutMs + replicaTimeoutMs }));
      client.on('error', () => undefined);
      this.writer = { client, appends: new ReplicatedWriter(client, minReplicas, replicaTimeoutMs) };
    }
    this.feed = openLiveFeed(topology, commandTimeoutMs, {
      message: (name, text) => this.onLive(name, text),
      down: () => this.forEachListener((listener) => listener.stalled()),
      up: () => this.forEachListener((listener) => listener.resync()),
    });
    this.keeper = new EmptyChannelKeeper(
      () => this.listeners.keys(),
      (channel) => this.commands.gsKeepEmpty(redisKeys.meta(channel), String(options.emptyChannelTtlMs)),
      options.emptyChannelTtlMs,
    );
  }

  async append(channel: string, id: string, payload: Record<string, unknown>): Promise<AppendResult> {
    const { historySize, historyTtlMs, dedupTtlMs, minReplicas } = this.options;
    const args = [
      redisKeys.stream(channel),
      redisKeys.meta(channel),
      redisKeys.dedup(channel, id),
      redisKeys.live(channel),
      id,
      JSON.stringify(payload),
      String(historySize),
      String(historyTtlMs),
      String(dedupTtlMs),
      randomUUID(),
    ];
    if (minReplicas === 0) {
      const [epoch, offset, duplicate] = await this.call('append', () => this.commands.gsAppend(...args, this.feed.publishCommand));
      return { epoch, offset, duplicate: duplicate === 1 };
    }
    const [epoch, offset, duplicate] = await this.call('append', () => this.writer!.appends.append(args));
    await this.call('append', () =>
      this.commands.gsCommit(
        redisKeys.stream(channel),
        redisKeys.meta(channel),
        redisKeys.live(channel),
        epoch,
        String(offset),
        randomUUID(),
        String(historyTtlMs),
        this.feed.publishCommand,
      ),
    );
    return { epoch, offset, duplicate: duplicate === 1 };
  }

  async position(channel: string): Promise<ChannelPosition> {
    const [epoch, top, lineage] = await this.call('position', () =>
      this.commands.gsPosition(
        redisKeys.stream(channel),
        redisKeys.meta(channel),
        randomUUID(),
        String(this.options.historyTtlMs),
        String(this.options.emptyChannelTtlMs),
      ),
    );
    return { epoch, top: Number(top), lineage: parseLineage(lineage) };
  }

  async renewEpoch(channel: string, expected: string): Promise<string> {
    return this.call('renew', () =>
      this.commands.gsRenew(redisKeys.stream(channel), redisKeys.meta(channel), expected, randomUUID(), String(this.options.historyTtlMs)),
    );
  }

  async read(channel: string, after: number, limit: number): Promise<HistoryPage> {
    const [epoch, top, raw] = await this.call('read', () =>
      this.commands.gsRead(redisKeys.stream(channel), redisKeys.meta(channel), String(after + 1), String(limit)),
    );
    return { epoch, top: Number(top), entries: raw.map(([streamId, fields]) => toEntry(streamId, fields)) };
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
      await this.call('listen', () => this.feed.subscribe(redisKeys.live(channel)));
    } catch (err) {
      this.unlisten(channel, listener);
      throw err;
    }
    return () => this.unlisten(channel, listener);
  }

  /** Resolves once every connection (commands, writes, pub/sub) is ready. */
  async whenUp(): Promise<void> {
    await Promise.all([whenReady(this.commands), this.writer && whenReady(this.writer.client), this.feed.whenUp()]);
  }

  /** Disconnects at once, and stops reconnecting (QUIT would wait, or fail, on a Redis that is down). */
  close(): Promise<void> {
    this.keeper.stop();
    this.listeners.clear();
    this.commands.disconnect();
    this.writer?.client.disconnect();
    this.feed.close();
    return Promise.resolve();
  }

  private unlisten(channel: string, listener: LiveListener): void {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.feed.unsubscribe(redisKeys.live(channel));
  }

  private forEachListener(visit: (listener: LiveListener) => void): void {
    for (const set of this.listeners.values()) for (const listener of set) visit(listener);
  }

  private onLive(name: string, text: string): void {
    const channel = channelOfLive(name);
    const set = channel === undefined ? undefined : this.listeners.get(channel);
    if (!set) return;
    let live: LiveEntry;
    try {
      live = JSON.parse(text) as LiveEntry;
    } catch {
      // Not from our scripts (anyone can PUBLISH): ignore it; the stream itself is the record.
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
    if (up) {
      const topology = describeTopology(this.options.topology);
      this.logger.log(`Stream backend redis: connected (${topology})`, logEvent('backend_up', { backend: 'redis', topology }));
    } else if (!first || reason) {
      const why = reason ?? 'unknown';
      this.logger.warn(
        `Stream backend redis: unreachable (${why}); reconnecting with backoff`,
        logEvent('backend_down', { backend: 'redis', reason: why }),
      );
    }
  }
}

function scripted(client: RedisClient): ScriptedClient {
  client.defineCommand('gsAppend', { numberOfKeys: 4, lua: APPEND_SCRIPT });
  client.defineCommand('gsCommit', { numberOfKeys: 3, lua: COMMIT_SCRIPT });
  client.defineCommand('gsPosition', { numberOfKeys: 2, lua: POSITION_SCRIPT });
  client.defineCommand('gsRead', { numberOfKeys: 2, lua: READ_SCRIPT });
  client.defineCommand('gsRenew', { numberOfKeys: 2, lua: RENEW_SCRIPT });
  client.defineCommand('gsKeepEmpty', { numberOfKeys: 1, lua: KEEP_EMPTY_SCRIPT });
  return client as ScriptedClient;
}

/** `"<epoch> <upTo>;…"` as the scripts keep it, newest first. */
function toEntry(streamId: string, fields: string[]): StreamEntry {
  const values = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2) values.set(fields[index]!, fields[index + 1]!);
  return {
    offset: Number(streamId.slice(0, streamId.indexOf('-'))),
    id: values.get('id') ?? '',
    payload: JSON.parse(values.get('payload') ?? '{}') as Record<string, unknown>,
  };
}
