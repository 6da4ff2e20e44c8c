import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';
import { ShutdownStateService } from '../lifecycle/shutdown-state.service.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { SessionRegistry } from '../session/session-registry.service.js';
import { StreamBackend } from '../streams/stream-backend.js';
import { reconnectJitterMs } from './reconnect-jitter.js';

/** What one drain did, as logged in `Graceful shutdown complete`. */
export interface DrainReport {
  clients: number;
  framesFlushed: number;
  cutAtDeadline: number;
  durationMs: number;
}

/**
 * Drains every connection when the application shuts down. It runs in `onApplicationShutdown`,
 * after Nest disposed the adapters — which is safe only because `DrainingWsAdapter` and
 * `DrainingExpressAdapter` leave the upgraded sockets open and do not wait for them. The HTTP
 * server keeps listening through the drain and is stopped here, last.
 */
@Injectable()
export class DrainService implements OnApplicationShutdown {
  private readonly logger = new Logger('Server');

  constructor(
    @Inject(SERVER_SETTINGS) private readonly config: ServerSettings,
    private readonly registry: SessionRegistry,
    private readonly shutdownState: ShutdownStateService,
    private readonly streamBackend: StreamBackend,
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: ServerMetrics,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const report = await this.drain();
    this.metrics.drained(report.durationMs, report.cutAtDeadline);
    // Only now: until the last session closed, its in-flight publishes needed the backend.
    await this.streamBackend.close();
    // Until here health checks answered and upgrades got 503 (DrainingExpressAdapter).
    this.stopServingHttp();
    this.logger.log(
      `Graceful shutdown complete: drained ${report.clients} clients, flushed ${report.framesFlushed} frames, ` +
        `cut ${report.cutAtDeadline} at deadline, in ${report.durationMs} ms`,
      { event: 'drain_complete', ...report },
    );
  }

  private stopServingHttp(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.close();
    server.closeAllConnections();
  }

  async drain(): Promise<DrainReport> {
    const startedAt = performance.now();
    const deadlineAt = Date.now() + this.config.drainTimeoutMs;
    const sessions = this.registry.live();
    this.logger.log(`Sending ${this.config.finalDataItems} additional business data items`);
    const notice = {
      reason: this.shutdownState.shutdownReason,
      deadlineAt,
      reconnectJitterMs: reconnectJitterMs(sessions.length, this.config.drainTimeoutMs, this.config.reconnectRatePerSec),
    };

    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      deadlineTimer = setTimeout(resolve, this.config.drainTimeoutMs);
      this.shutdownState.onHurry(resolve);
    });
    await Promise.race([Promise.all(sessions.map((session) => session.drain(notice))), deadline]);
    clearTimeout(deadlineTimer);

    const cut = sessions.filter((session) => !session.isClosed);
    for (const session of cut) session.terminate();
    await Promise.all(sessions.map((session) => session.closed));

    return {
      clients: sessions.length,
      framesFlushed: sessions.reduce((sum, session) => sum + session.framesFlushed, 0),
      cutAtDeadline: cut.length,
      durationMs: Math.round(performance.now() - startedAt),
    };
  }
}
