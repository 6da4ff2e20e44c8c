import { hostname } from 'node:os';
import { z } from 'zod';
import { readAuthSettings } from './auth-settings.js';
import { intVar, logFormatVar, logLevelVar, oneOfVar, parseEnv, urlVar } from '@app/env';
import { DEFAULT_RECONNECT_RATE_PER_SEC } from '@app/protocol';
import { hostListVar, readRedisTopology, type RedisTopology, type RedisTopologyEnv } from './redis-topology.js';

const HOUR_MS = 3_600_000;
/** A peer may send this many seconds' worth of its inbound budget at once. */
const INBOUND_BURST_SECONDS = 2;
/** A peer this many seconds of budget in debt is closed with 1008. */
const INBOUND_CLOSE_AFTER_DEBT_SECONDS = 10;

const serverEnvSchema = z
  .object({
    PORT: intVar('PORT', 8080, 0, 65_535),
    SERVER_ID: z.string().optional(),
    DATA_INTERVAL_MS: intVar('DATA_INTERVAL_MS', 2000, 10, HOUR_MS),
    FINAL_DATA_ITEMS: intVar('FINAL_DATA_ITEMS', 2, 0, 1000),
    MAX_WORK_MS: intVar('MAX_WORK_MS', 10_000, 0, HOUR_MS),
    HEARTBEAT_MS: intVar('HEARTBEAT_MS', 25_000, 100, HOUR_MS),
    SHUTDOWN_DELAY_MS: intVar('SHUTDOWN_DELAY_MS', 0, 0, HOUR_MS),
    DRAIN_TIMEOUT_MS: intVar('DRAIN_TIMEOUT_MS', 20_000, 1, HOUR_MS),
    RECONNECT_RATE_PER_SEC: intVar('RECONNECT_RATE_PER_SEC', DEFAULT_RECONNECT_RATE_PER_SEC, 1, 1_000_000),
    MAX_PAYLOAD_BYTES: intVar('MAX_PAYLOAD_BYTES', 64 * 1024, 256, 100 * 1024 * 1024),
    MAX_BUFFERED_BYTES: intVar('MAX_BUFFERED_BYTES', 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    STREAM_BACKEND: oneOfVar('STREAM_BACKEND', 'memory', ['memory', 'redis']),
    REDIS_URL: urlVar('REDIS_URL', ['redis:', 'rediss:'], { secret: true }),
    REDIS_SENTINELS: hostListVar('REDIS_SENTINELS'),
    REDIS_SENTINEL_MASTER: z.string().optional(),
    REDIS_SENTINEL_PASSWORD: z.string().optional(),
    REDIS_CLUSTER_NODES: hostListVar('REDIS_CLUSTER_NODES'),
    REDIS_USERNAME: z.string().optional(),
    REDIS_PASSWORD: z.string().optional(),
    REDIS_TLS: oneOfVar('REDIS_TLS', 'false', ['true', 'false']).transform((value) => value === 'true'),
    REDIS_TIMEOUT_MS: intVar('REDIS_TIMEOUT_MS', 2000, 10, 60_000),
    PUBLISH_MIN_REPLICAS: intVar('PUBLISH_MIN_REPLICAS', 0, 0, 16),
    PUBLISH_REPLICA_TIMEOUT_MS: intVar('PUBLISH_REPLICA_TIMEOUT_MS', 1000, 1, 60_000),
    HISTORY_SIZE: intVar('HISTORY_SIZE', 1000, 1, 1_000_000),
    HISTORY_MAX_BYTES: intVar('HISTORY_MAX_BYTES', 64 * 1024 * 1024, 1024 * 1024, 64 * 1024 * 1024 * 1024),
    HISTORY_TTL_MS: intVar('HISTORY_TTL_MS', 24 * HOUR_MS, 0, 365 * 24 * HOUR_MS),
    PUBLISH_DEDUP_TTL_MS: intVar('PUBLISH_DEDUP_TTL_MS', 10 * 60_000, 1000, 7 * 24 * HOUR_MS),
    MAX_SUBSCRIPTIONS: intVar('MAX_SUBSCRIPTIONS', 100, 1, 10_000),
    REPLAY_PAGE_SIZE: intVar('REPLAY_PAGE_SIZE', 100, 1, 10_000),
    REPLAY_BYTES_PER_SEC: intVar('REPLAY_BYTES_PER_SEC', 4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    MAX_CONNECTIONS: intVar('MAX_CONNECTIONS', 2000, 1, 1_000_000),
    MAX_IN_FLIGHT: intVar('MAX_IN_FLIGHT', 100, 1, 100_000),
    INBOUND_FRAMES_PER_SEC: intVar('INBOUND_FRAMES_PER_SEC', 200, 1, 1_000_000),
    INBOUND_BYTES_PER_SEC: intVar('INBOUND_BYTES_PER_SEC', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    HTTP_HEADERS_TIMEOUT_MS: intVar('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    LISTEN_BACKLOG: intVar('LISTEN_BACKLOG', 4096, 1, 65_535),
    AUTH_JWT_SECRET: z.string().optional(),
    AUTH_JWT_PUBLIC_KEY_FILE: z.string().optional(),
    AUTH_JWKS_FILE: z.string().optional(),
    AUTH_JWT_ISSUER: z.string().optional(),
    AUTH_JWT_AUDIENCE: z.string().optional(),
    ALLOWED_ORIGINS: z.string().optional(),
    LOG_LEVEL: logLevelVar,
    LOG_FORMAT: logFormatVar,
  })
  .superRefine((env, ctx) => {
    if (env.INBOUND_BYTES_PER_SEC * INBOUND_BURST_SECONDS < env.MAX_PAYLOAD_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message:
          `INBOUND_BYTES_PER_SEC (${env.INBOUND_BYTES_PER_SEC}) × ${INBOUND_BURST_SECONDS} s of burst must hold ` +
          `one frame of MAX_PAYLOAD_BYTES (${env.MAX_PAYLOAD_BYTES})`,
      });
    }
    if (env.STREAM_BACKEND !== 'redis' && env.PUBLISH_MIN_REPLICAS > 0) {
      ctx.addIssue({ code: 'custom', message: 'PUBLISH_MIN_REPLICAS counts Redis replicas: it needs STREAM_BACKEND=redis' });
    }
  })
  .transform((env, ctx) => ({
    port: env.PORT,
    serverId: env.SERVER_ID?.trim() || hostname(),
    dataIntervalMs: env.DATA_INTERVAL_MS,
    finalDataItems: env.FINAL_DATA_ITEMS,
    maxWorkMs: env.MAX_WORK_MS,
    heartbeatMs: env.HEARTBEAT_MS,
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
    drainTimeoutMs: env.DRAIN_TIMEOUT_MS,
    reconnectRatePerSec: env.RECONNECT_RATE_PER_SEC,
    maxPayloadBytes: env.MAX_PAYLOAD_BYTES,
    maxBufferedBytes: env.MAX_BUFFERED_BYTES,
    streams: {
      backend: env.STREAM_BACKEND,
      /** Set exactly when `backend` is redis. */
      redis: redisTopologyOf(env, ctx),
      redisTimeoutMs: env.REDIS_TIMEOUT_MS,
      /** Replicas that must hold an append before it is confirmed and delivered (0: the master alone). */
      publishMinReplicas: env.PUBLISH_MIN_REPLICAS,
      publishReplicaTimeoutMs: env.PUBLISH_REPLICA_TIMEOUT_MS,
      historySize: env.HISTORY_SIZE,
      /** All channels' history together (memory backend; Redis is bounded by its maxmemory). */
      historyMaxBytes: env.HISTORY_MAX_BYTES,
      /** 0: history never expires. */
      historyTtlMs: env.HISTORY_TTL_MS,
      dedupTtlMs: env.PUBLISH_DEDUP_TTL_MS,
      maxSubscriptions: env.MAX_SUBSCRIPTIONS,
      replayPageSize: env.REPLAY_PAGE_SIZE,
      replayBytesPerSec: env.REPLAY_BYTES_PER_SEC,
    },
    limits: {
      maxConnections: env.MAX_CONNECTIONS,
      maxInFlight: env.MAX_IN_FLIGHT,
      inbound: {
        framesPerSec: env.INBOUND_FRAMES_PER_SEC,
        bytesPerSec: env.INBOUND_BYTES_PER_SEC,
        burstSeconds: INBOUND_BURST_SECONDS,
        closeAfterDebtSeconds: INBOUND_CLOSE_AFTER_DEBT_SECONDS,
      },
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      listenBacklog: env.LISTEN_BACKLOG,
    },
    auth: readAuthSettings(env, ctx),
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
  }));

/**
 * The Redis the `redis` backend uses, read once: every problem with the topology variables is an
 * issue (they are checked whatever the backend), and `redis` without a topology is one too.
 */
function redisTopologyOf(env: RedisTopologyEnv & { STREAM_BACKEND: string }, ctx: z.RefinementCtx): RedisTopology | undefined {
  const { topology, problems } = readRedisTopology(env);
  for (const message of problems) ctx.addIssue({ code: 'custom', message });
  if (env.STREAM_BACKEND !== 'redis') return undefined;
  if (topology === undefined && problems.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message:
        'STREAM_BACKEND=redis needs one of REDIS_URL (redis:// or rediss:// URL), REDIS_SENTINELS + REDIS_SENTINEL_MASTER, or REDIS_CLUSTER_NODES',
    });
  }
  return topology;
}

export type ServerSettings = z.output<typeof serverEnvSchema>;

/** Reads and validates the server's environment; throws a `ConfigError` naming each bad variable. */
export function readServerSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  return parseEnv(serverEnvSchema, env);
}

/**
 * Injects the server's settings: read and validated once per process (`main.ts`) and handed to
 * `AppModule.forRoot`, so nothing after the boot reads the environment (or a key file) again.
 */
export const SERVER_SETTINGS = Symbol('ServerSettings');
