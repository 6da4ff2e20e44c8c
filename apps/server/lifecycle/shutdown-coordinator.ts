import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type INestApplicationContext,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { SHUTDOWN_SIGNALS, closeAndExit } from '@app/env';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';
import { DrainService } from '../drain/drain.service.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { StreamBackend } from '../streams/backend/stream-backend.js';
import { ShutdownStateService } from './shutdown-state.service.js';
import { logEvent } from '@app/contract';

/**
 * The server's shutdown, in the order it runs. The one owner of SIGTERM and SIGINT.
 *
 * 1. The signal (`listen`): this replica is shutting down from this tick — readiness answers 503
 *    and new upgrades get 503 — and `app.close()` starts Nest's shutdown.
 * 2. `beforeApplicationShutdown`: established connections are served for `SHUTDOWN_DELAY_MS`
 *    more, while the endpoints drop this pod.
 * 3. Nest disposes the adapters. By design they leave the upgraded sockets open and do not wait
 *    for them (`DrainingWsAdapter`, `DrainingExpressAdapter`): the stock ones would cut every
 *    client (1006) or wait for sockets only the drain closes. The HTTP server keeps listening.
 * 4. `onApplicationShutdown`: every session drains — notice, in-flight results, final data,
 *    marker, the client's ack, 1001 — and what is left at `DRAIN_TIMEOUT_MS` is cut.
 * 5. The stream backend closes (a draining session's publishes needed it until then).
 * 6. The HTTP server stops.
 * 7. Output is flushed and the process exits 0 (`closeAndExit`). The signals stay taken until
 *    then: a late one must not end the process (143) while its last lines are being written.
 *
 * A second signal at any point hurries: the delay ends and the drain cuts what is left.
 */
@Injectable()
export class ShutdownCoordinator implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ShutdownCoordinator.name);
  private app: INestApplicationContext | undefined;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const first = !this.state.shuttingDown;
    this.state.begin(signal);
    if (first && this.app) closeAndExit(this.app, this.logger);
  };

  constructor(
    @Inject(SERVER_SETTINGS) private readonly settings: ServerSettings,
    private readonly state: ShutdownStateService,
    private readonly drainer: DrainService,
    private readonly streamBackend: StreamBackend,
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: ServerMetrics,
  ) {}

  /** Step 1: takes SIGTERM and SIGINT for `app` (the entry point calls it once the app is built). */
  listen(app: INestApplicationContext): void {
    this.app = app;
    for (const signal of SHUTDOWN_SIGNALS) process.on(signal, this.onSignal);
  }

  /** `app.close()` without a signal (a test, an embedding program) shuts down the same way. */
  onModuleDestroy(): void {
    this.state.begin('close');
  }

  /** Step 2. */
  async beforeApplicationShutdown(): Promise<void> {
    const delayMs = this.settings.shutdownDelayMs;
    if (delayMs === 0) return;
    this.logger.log(`Serving established connections for ${delayMs} ms before draining`, logEvent('drain_delayed', { delayMs }));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.state.onHurry(done);
    });
  }

  /** Steps 4 to 6 (step 3 is Nest's, between the two hooks). */
  async onApplicationShutdown(): Promise<void> {
    const report = await this.drainer.drain();
    this.metrics.drained(report.durationMs, report.cutAtDeadline);
    await this.streamBackend.close();
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.close();
    server.closeAllConnections();
    this.logger.log(
      `Graceful shutdown complete: drained ${report.clients} clients, flushed ${report.framesFlushed} frames, ` +
        `cut ${report.cutAtDeadline} at deadline, in ${report.durationMs} ms`,
      logEvent('drain_complete', report),
    );
  }
}
