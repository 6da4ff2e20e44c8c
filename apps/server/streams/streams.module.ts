import { Logger, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { serverConfig } from '../config/server.config.js';
import { MemoryStreamBackend } from './memory.backend.js';
import { RedisStreamBackend } from './redis.backend.js';
import { StreamBackend } from './stream-backend.js';

/** The stream backend `STREAM_BACKEND` names, shared by every session of this process. */
@Module({
  providers: [
    {
      provide: StreamBackend,
      inject: [serverConfig.KEY],
      useFactory: async ({ streams }: ConfigType<typeof serverConfig>): Promise<StreamBackend> => {
        const limits = { historySize: streams.historySize, historyTtlMs: streams.historyTtlMs, dedupTtlMs: streams.dedupTtlMs };
        if (streams.backend === 'memory') return new MemoryStreamBackend(limits);
        const backend = new RedisStreamBackend(
          // The schema requires REDIS_URL for this backend.
          { ...limits, url: streams.redisUrl!, commandTimeoutMs: streams.redisTimeoutMs },
          new Logger('Server'),
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
