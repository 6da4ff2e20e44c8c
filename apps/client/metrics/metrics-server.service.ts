import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CLIENT_SETTINGS, type ClientSettings } from '../config/client.config.js';
import { FleetService } from '../fleet/fleet.service.js';
import { ClientMetrics } from './client-metrics.js';
import { logEvent } from '@app/contract';

/**
 * `GET /metrics` on `METRICS_PORT`, when set, so a cluster run can be watched live. The client
 * is a standalone Nest app with no HTTP stack; Node's own server answers this one path.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | undefined;

  constructor(
    @Inject(CLIENT_SETTINGS) private readonly settings: ClientSettings,
    private readonly fleet: FleetService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.settings.metricsPort;
    if (port === undefined) return;
    const metrics = new ClientMetrics(this.fleet);
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: only GET /metrics is served here\n');
        return;
      }
      metrics.scrape().then(
        (text) => response.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
        (err: unknown) => {
          this.logger.error(`Metrics scrape failed: ${err instanceof Error ? err.message : String(err)}`);
          response.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    this.logger.log(`Metrics on :${bound}/metrics`, logEvent('client_metrics_listening', { port: bound }));
  }

  /** Closed with the app; until then a scrape answers, during the shutdown too. */
  onApplicationShutdown(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }
}
