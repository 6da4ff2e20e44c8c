import { ExpressAdapter } from '@nestjs/platform-express';
import { createServer, type Server } from 'node:http';

export interface DrainingExpressAdapterOptions {
  /** Time a client has to send its request headers (upgrades included) before it gets 408 and is closed. */
  headersTimeoutMs: number;
  /** Connections the kernel may queue before they are accepted (capped by `net.core.somaxconn`). */
  listenBacklog: number;
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
 * connections and sends headers slowly (slowloris) cannot hold them, and it listens with a
 * backlog sized for reconnect storms: Node's default of 511 overflows when a drained replica's
 * clients arrive at once, and each connection dropped from a full queue costs its client a 1 s
 * SYN retry.
 */
export class DrainingExpressAdapter extends ExpressAdapter {
  constructor(private readonly drainingOptions: DrainingExpressAdapterOptions) {
    super();
    // No framework banner: "X-Powered-By: Express" tells a scanner only which advisories to try.
    this.getInstance<{ disable(setting: string): unknown }>().disable('x-powered-by');
  }

  override initHttpServer(): void {
    const { headersTimeoutMs } = this.drainingOptions;
    this.httpServer = createServer(
      { headersTimeout: headersTimeoutMs, requestTimeout: headersTimeoutMs * 3, connectionsCheckingInterval: 1000 },
      this.getInstance(),
    );
  }

  /** Node takes a backlog only in the options form of `listen`; Nest passes the port and a host at most. */
  override listen(port: string | number, ...rest: [(() => void)?] | [string, (() => void)?]): Server {
    const [host, callback] = typeof rest[0] === 'string' ? [rest[0], rest[1]] : [undefined, rest[0]];
    return (this.httpServer as Server).listen({ port: Number(port), host, backlog: this.drainingOptions.listenBacklog }, callback);
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }
}
