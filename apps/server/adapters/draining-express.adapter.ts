import { ExpressAdapter } from '@nestjs/platform-express';
import { createServer } from 'node:http';

export interface DrainingExpressAdapterOptions {
  /** Time a client has to send its request headers (upgrades included) before it gets 408 and is closed. */
  headersTimeoutMs: number;
}

/**
 * The HTTP side of the drain.
 *
 * Nest awaits the HTTP adapter's `close()` before `onApplicationShutdown`, and Node's
 * `server.close()` calls back only when every connection has ended — upgraded WebSocket
 * sockets included. With the sockets kept open for the drain, that wait would deadlock the
 * drain that runs in `onApplicationShutdown`. So `close()` here returns at once and leaves the
 * server listening: health checks keep answering and upgrades get 503 during the drain (a
 * refused TCP connection tells a client nothing). `DrainService` stops the server when the
 * drain is over.
 *
 * The server is created with header timeouts checked every second, so a peer that opens
 * connections and sends headers slowly (slowloris) cannot hold them.
 */
export class DrainingExpressAdapter extends ExpressAdapter {
  constructor(private readonly drainingOptions: DrainingExpressAdapterOptions) {
    super();
  }

  override initHttpServer(): void {
    const { headersTimeoutMs } = this.drainingOptions;
    this.httpServer = createServer(
      { headersTimeout: headersTimeoutMs, requestTimeout: headersTimeoutMs * 3, connectionsCheckingInterval: 1000 },
      this.getInstance(),
    );
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }
}
