import { Cluster, type Redis } from 'ioredis';
import { openRedisClient, whenReady } from './redis-connections.js';
import type { RedisTopology } from '../../../config/redis-topology.js';

/** What the feed reports: messages, and when it stopped and came back. */
export interface LiveFeedHandlers {
  message(name: string, text: string): void;
  /** The feed's connection is lost: messages published from now on may never arrive. */
  down(): void;
  /** The feed is subscribed again to every name it had: whatever it missed must be read from the streams. */
  up(): void;
}

/**
 * The pub/sub side of the Redis backend: one subscription per live channel name this replica
 * has listeners for. Plain pub/sub for standalone and Sentinel; sharded pub/sub in a Cluster,
 * so each channel's live traffic stays on the shard that owns it.
 */
export interface LiveFeed {
  /** The command the scripts publish with, matching how this feed subscribes. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  /** Resolves once Redis confirmed the subscription. */
  subscribe(name: string): Promise<void>;
  unsubscribe(name: string): void;
  whenUp(): Promise<void>;
  close(): void;
}

export function openLiveFeed(topology: RedisTopology, commandTimeoutMs: number, handlers: LiveFeedHandlers): LiveFeed {
  return topology.kind === 'cluster'
    ? new ShardedLiveFeed(openRedisClient(topology, { commandTimeoutMs, shardedSubscribers: true }) as Cluster, handlers)
    : new PubSubLiveFeed(openRedisClient(topology, { commandTimeoutMs, manualResubscribe: true }) as Redis, handlers);
}

/**
 * One connection in subscriber mode. After a reconnect it subscribes again to every name itself
 * and reports `up` only once Redis confirmed them, so a catch-up read after `up` cannot miss an
 * entry published between the read and the subscription.
 */
class PubSubLiveFeed implements LiveFeed {
  readonly publishCommand = 'PUBLISH';
  private readonly names = new Set<string>();
  private connectedBefore = false;

  constructor(
    private readonly connection: Redis,
    handlers: LiveFeedHandlers,
  ) {
    connection.on('error', () => undefined);
    connection.on('close', () => {
      if (this.connectedBefore) handlers.down();
    });
    connection.on('ready', () => {
      if (!this.connectedBefore) {
        this.connectedBefore = true;
        return;
      }
      const names = [...this.names];
      const subscribed = names.length > 0 ? connection.subscribe(...names) : Promise.resolve();
      subscribed.then(
        () => handlers.up(),
        () => {
          // A connection lost again brings its own close and ready. One still up (the reply took
          // longer than the command timeout, or Redis refused) is reconnected, so the next ready
          // subscribes again: the feed stays down meanwhile, never stuck there.
          if (connection.status === 'ready') connection.disconnect(true);
        },
      );
    });
    connection.on('message', (name: string, text: string) => handlers.message(name, text));
  }

  async subscribe(name: string): Promise<void> {
    this.names.add(name);
    await this.connection.subscribe(name);
  }

  unsubscribe(name: string): void {
    this.names.delete(name);
    this.connection.unsubscribe(name).catch(() => undefined);
  }

  whenUp(): Promise<void> {
    return whenReady(this.connection);
  }

  close(): void {
    this.connection.disconnect();
  }
}

/** How soon subscriptions are confirmed again when a node did not answer. */
const CONFIRM_RETRY_MS = 250;

/**
 * Sharded pub/sub through ioredis' Cluster: one subscriber connection per master, re-created and
 * re-subscribed by ioredis when the slots move (a failover). A subscriber connection that ends
 * is reported `down` for every channel (ioredis does not say which shard's channels it carried);
 * `up` follows once the group is subscribed again.
 */
class ShardedLiveFeed implements LiveFeed {
  readonly publishCommand = 'SPUBLISH';
  /** The channels subscribed, to confirm after a topology change. */
  private readonly names = new Set<string>();
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly handlers: LiveFeedHandlers,
  ) {
    cluster.on('error', () => undefined);
    cluster.on('-node', () => handlers.down());
    cluster.on('subscribersReady', () => void this.confirmSubscriptions());
    cluster.on('smessage', (name: string, text: string) => handlers.message(name, text));
  }

  async subscribe(name: string): Promise<void> {
    this.names.add(name);
    await this.cluster.ssubscribe(name);
  }

  unsubscribe(name: string): void {
    this.names.delete(name);
    this.cluster.sunsubscribe(name).catch(() => undefined);
  }

  /**
   * ioredis says its sharded subscribers are ready after a topology change as soon as it has
   * *sent* their SSUBSCRIBEs (and skips a node whose connection is not up yet): a catch-up run
   * then could read the channel's top before the subscription on the new owner took effect, and
   * an entry appended in between would be neither caught up nor delivered live — a subscriber
   * stuck silently behind (seen under load in the Cluster failover spec). So every channel is
   * subscribed again and answered (a repeat is harmless: duplicates are dropped by offset) before
   * the feed is reported up and its listeners catch up.
   */
  private async confirmSubscriptions(): Promise<void> {
    for (;;) {
      try {
        await Promise.all([...this.names].map((name) => this.cluster.ssubscribe(name)));
        break;
      } catch {
        // A node not reachable yet: try again shortly (the feed stays reported down meanwhile).
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, CONFIRM_RETRY_MS).unref());
      }
    }
    if (!this.closed) this.handlers.up();
  }

  whenUp(): Promise<void> {
    return whenReady(this.cluster);
  }

  close(): void {
    this.closed = true;
    this.cluster.disconnect();
  }
}
