import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTopology } from '../../../config/redis-topology.js';

/** A client of whichever topology: both speak the same commands, scripts and pipelines. */
export type RedisClient = Redis | Cluster;

/** How long a command may take, and whether this client is for pub/sub. */
export interface ClientOptions {
  commandTimeoutMs: number;
  /** Cluster only: one subscriber connection per master, for SSUBSCRIBE. */
  shardedSubscribers?: boolean;
  /** The caller subscribes again itself after a reconnect (ioredis would too, racing it). */
  manualResubscribe?: boolean;
}

/** How often a Cluster client asks who owns the slots, whatever else it heard. */
const SLOTS_REFRESH_MS = 2000;

/** A demoted master answers writes with READONLY: reconnect, which finds the new master. */
const reconnectOnReadonly = (err: Error): boolean => err.message.startsWith('READONLY');

/**
 * Opens one client of `topology`. Commands fail fast while nothing writable is reachable (no
 * offline queue, no retries): the caller answers `UNAVAILABLE` and its client sends again. The
 * connection itself reconnects with capped, jittered backoff — through Sentinel to whichever
 * master it names now, or, in a Cluster, to the slots' new owners.
 */
export function openRedisClient(
  topology: RedisTopology,
  { commandTimeoutMs, shardedSubscribers = false, manualResubscribe = false }: ClientOptions,
): RedisClient {
  const retryStrategy = (attempt: number): number => Math.min(2000, 50 * 2 ** Math.min(attempt, 6)) + Math.floor(Math.random() * 50);
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    reconnectOnError: reconnectOnReadonly,
    autoResubscribe: !manualResubscribe,
  };
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, { ...common, retryStrategy });
    case 'sentinel': {
      const { auth } = topology;
      return new Redis({
        ...common,
        retryStrategy,
        sentinels: topology.sentinels,
        name: topology.masterName,
        sentinelPassword: topology.sentinelPassword,
        sentinelRetryStrategy: retryStrategy,
        // Subscribes to Sentinel's +switch-master: a failover is followed at once, not at the next error.
        failoverDetector: true,
        username: auth.username,
        password: auth.password,
        ...(auth.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
    }
    case 'cluster': {
      const { auth } = topology;
      const options: ClusterOptions = {
        enableOfflineQueue: false,
        clusterRetryStrategy: retryStrategy,
        // Reconnect to a node that dropped without a slot change (a replica restarted).
        clusterNodeRetryStrategy: retryStrategy,
        // Ask for the slots' owners on a timer too: a master that hangs (a paused VM, a
        // partition) answers nothing — no MOVED, no closed connection — so without it the
        // client would keep sending its shard's commands there after a replica took over.
        slotsRefreshInterval: SLOTS_REFRESH_MS,
        shardedSubscribers,
        redisOptions: {
          maxRetriesPerRequest: 0,
          commandTimeout: commandTimeoutMs,
          reconnectOnError: reconnectOnReadonly,
          username: auth.username,
          password: auth.password,
          ...(auth.tls ? { tls: {} } : {}),
        },
      };
      return new Cluster(topology.nodes, options);
    }
  }
}

/** Resolves once `client` is ready (at once if it is). */
export function whenReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => client.once('ready', () => resolve()));
}
