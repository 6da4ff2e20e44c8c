import { Logger, Module } from '@nestjs/common';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { MemoryStreamBackend } from './backend/memory.backend.js';
import { RedisStreamBackend } from './backend/redis/redis.backend.js';
import { StreamBackend } from './backend/stream-backend.js';

/**
 * How long Redis keeps the state of a channel nobody has published to, unless a replica with
 * subscribers on it renews it: subscribing to many names leaves nothing lasting.
 */
const EMPTY_CHANNEL_TTL_MS = 60_000;

/** The stream backend `STREAM_BACKEND` names, shared by every session of this process. */
@Module({
  imports: [MetricsModule],
  providers: [
    {
      provide: StreamBackend,
      inject: [SERVER_SETTINGS, ServerMetrics],
      useFactory: async ({ streams }: ServerSettings, metrics: ServerMetrics): Promise<StreamBackend> => {
        const limits = { historySize: streams.historySize, historyTtlMs: streams.historyTtlMs, dedupTtlMs: streams.dedupTtlMs };
        if (streams.backend === 'memory') {
          metrics.backendUp(true);
          return new MemoryStreamBackend({ ...limits, historyMaxBytes: streams.historyMaxBytes }, metrics);
        }
        const backend = new RedisStreamBackend(
          {
            ...limits,
            // The schema requires exactly one topology for this backend.
            topology: streams.redis!,
            commandTimeoutMs: streams.redisTimeoutMs,
            minReplicas: streams.publishMinReplicas,
            replicaTimeoutMs: streams.publishReplicaTimeoutMs,
            emptyChannelTtlMs: EMPTY_CHANNEL_TTL_MS,
          },
          new Logger('RedisStreamBackend'),
          metrics,
        );
        // Give Redis one timeout to answer before serving, so the first subscribers are not refused
        // needlessly; a Redis that is down does not stop the server (streams answer UNAVAILABLE).
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([backend.whenUp(), new Promise((resolve) => (timer = setTimeout(resolve, streams.redisTimeoutMs)))]);
        clearTimeout(timer);
        return backend;
      },
    },
  ],
  exports: [StreamBackend],
})
export class StreamsModule {}
