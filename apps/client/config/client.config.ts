import { CHANNEL_PATTERN, SUBPROTOCOL } from '@app/protocol';
import { intVar, logFormatVar, logLevelVar, oneOfVar, optionalIntVar, parseEnv, wsUrlVar } from '@app/env';
import { z } from 'zod';

const HOUR_MS = 3_600_000;

const clientEnvSchema = z
  .object({
    SERVER_URL: wsUrlVar('SERVER_URL', 'ws://localhost:8080/ws'),
    PROTOCOL: oneOfVar('PROTOCOL', SUBPROTOCOL, [SUBPROTOCOL, 'text']),
    CLIENTS: intVar('CLIENTS', 1, 1, 10_000),
    REQUEST_INTERVAL_MS: intVar('REQUEST_INTERVAL_MS', 3000, 0, HOUR_MS),
    WORK_MS: intVar('WORK_MS', 500, 0, HOUR_MS),
    RECONNECT_BASE_MS: intVar('RECONNECT_BASE_MS', 100, 1, HOUR_MS),
    RECONNECT_MAX_MS: intVar('RECONNECT_MAX_MS', 10_000, 1, HOUR_MS),
    STREAM_RETRY_MAX_MS: intVar('STREAM_RETRY_MAX_MS', 1000, 1, HOUR_MS),
    DRAIN_RECONNECT_JITTER_MS: intVar('DRAIN_RECONNECT_JITTER_MS', 5000, 0, HOUR_MS),
    ACK_INTERVAL_MS: intVar('ACK_INTERVAL_MS', 100, 1, HOUR_MS),
    STATS_INTERVAL_MS: intVar('STATS_INTERVAL_MS', 0, 0, HOUR_MS),
    OUTBOX_LIMIT: intVar('OUTBOX_LIMIT', 1000, 1, 1_000_000),
    ASSUMED_HEARTBEAT_MS: intVar('ASSUMED_HEARTBEAT_MS', 25_000, 100, HOUR_MS),
    EXIT_TIMEOUT_MS: intVar('EXIT_TIMEOUT_MS', 10_000, 0, HOUR_MS),
    CHANNELS: z
      .string()
      .optional()
      .transform((raw, ctx) => {
        const channels = [
          ...new Set(
            (raw ?? '')
              .split(',')
              .map((name) => name.trim())
              .filter((name) => name !== ''),
          ),
        ];
        const bad = channels.find((name) => !CHANNEL_PATTERN.test(name));
        if (bad !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `CHANNELS must be a comma list of names matching ${CHANNEL_PATTERN.source} (got "${bad.slice(0, 120)}")`,
          });
          return z.NEVER;
        }
        return channels;
      }),
    PUBLISH_CHANNEL: z
      .string()
      .optional()
      .transform((raw, ctx) => {
        const name = raw?.trim() ?? '';
        if (name === '') return undefined;
        if (!CHANNEL_PATTERN.test(name)) {
          ctx.addIssue({ code: 'custom', message: `PUBLISH_CHANNEL must match ${CHANNEL_PATTERN.source} (got "${name.slice(0, 120)}")` });
          return z.NEVER;
        }
        return name;
      }),
    PUBLISH_INTERVAL_MS: intVar('PUBLISH_INTERVAL_MS', 1000, 1, HOUR_MS),
    MAX_SERVER_FRAME_BYTES: intVar('MAX_SERVER_FRAME_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    HELLO_TIMEOUT_MS: intVar('HELLO_TIMEOUT_MS', 10_000, 10, HOUR_MS),
    STABLE_CONNECTION_MS: intVar('STABLE_CONNECTION_MS', 10_000, 0, HOUR_MS),
    AUTH_TOKEN: z
      .string()
      .optional()
      .transform((raw, ctx) => {
        const token = raw?.trim() ?? '';
        if (token === '') return undefined;
        // It goes into an HTTP header: anything but the JWT alphabet could split or forge one.
        if (!/^[A-Za-z0-9._~+/=-]+$/.test(token)) {
          ctx.addIssue({ code: 'custom', message: 'AUTH_TOKEN must be a bearer token (letters, digits and ._~+/=-)' });
          return z.NEVER;
        }
        return token;
      }),
    METRICS_PORT: optionalIntVar('METRICS_PORT', 0, 65_535),
    LOG_LEVEL: logLevelVar,
    LOG_FORMAT: logFormatVar,
  })
  .superRefine((env, ctx) => {
    if (env.PROTOCOL === 'text' && (env.CHANNELS.length > 0 || env.PUBLISH_CHANNEL !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `CHANNELS and PUBLISH_CHANNEL need PROTOCOL ${SUBPROTOCOL}: the text dialect has no channels`,
      });
    }
    if (env.RECONNECT_MAX_MS < env.RECONNECT_BASE_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `RECONNECT_MAX_MS (${env.RECONNECT_MAX_MS}) must not be below RECONNECT_BASE_MS (${env.RECONNECT_BASE_MS})`,
      });
    }
  })
  .transform((env) => ({
    serverUrl: env.SERVER_URL,
    dialect: env.PROTOCOL === 'text' ? ('text' as const) : ('json' as const),
    clients: env.CLIENTS,
    /** 0 creates no requests: a pure listener. */
    requestIntervalMs: env.REQUEST_INTERVAL_MS,
    workMs: env.WORK_MS,
    reconnectBaseMs: env.RECONNECT_BASE_MS,
    reconnectMaxMs: env.RECONNECT_MAX_MS,
    /**
     * Cap of the backoff for publishes and subscribes refused UNAVAILABLE (the stream backend is
     * down, the connection is fine): kept short, so channels resume soon after a Redis failover.
     */
    streamRetryMaxMs: env.STREAM_RETRY_MAX_MS,
    drainReconnectJitterMs: env.DRAIN_RECONNECT_JITTER_MS,
    ackIntervalMs: env.ACK_INTERVAL_MS,
    /** 0 turns the periodic stats line off. */
    statsIntervalMs: env.STATS_INTERVAL_MS,
    outboxLimit: env.OUTBOX_LIMIT,
    /** The server's heartbeat assumed until its `hello` announces it. */
    heartbeatMs: env.ASSUMED_HEARTBEAT_MS,
    exitTimeoutMs: env.EXIT_TIMEOUT_MS,
    /** Channels every virtual client subscribes to (docs/protocol.md, "Shared channels"). */
    channels: env.CHANNELS,
    /** Where every virtual client publishes, one entry per PUBLISH_INTERVAL_MS; undefined: no publishing. */
    publishChannel: env.PUBLISH_CHANNEL,
    publishIntervalMs: env.PUBLISH_INTERVAL_MS,
    /** Largest frame taken from the server. */
    maxPayloadBytes: env.MAX_SERVER_FRAME_BYTES,
    helloTimeoutMs: env.HELLO_TIMEOUT_MS,
    /** A connection healthy this long resets the reconnect backoff; one that dies sooner does not. */
    stableConnectionMs: env.STABLE_CONNECTION_MS,
    authToken: env.AUTH_TOKEN,
    /** Where `/metrics` is served; undefined: nowhere (0: a free port, for tests). */
    metricsPort: env.METRICS_PORT,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
  }));

export type ClientSettings = z.output<typeof clientEnvSchema>;

/** Reads and validates the client's environment; throws a `ConfigError` naming each bad variable. */
export function readClientSettings(env: NodeJS.ProcessEnv = process.env): ClientSettings {
  return parseEnv(clientEnvSchema, env);
}

/** Injects the client's settings: read and validated once per process (`main.ts`), handed to `ClientModule.forRoot`. */
export const CLIENT_SETTINGS = Symbol('ClientSettings');
