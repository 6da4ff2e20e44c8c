import { ExpressAdapter } from '@nestjs/platform-express';

/**
 * Nest awaits the HTTP adapter's `close()` before `onApplicationShutdown`, and Node's
 * `server.close()` calls back only when every connection has ended — upgraded WebSocket
 * sockets included. With the sockets kept open for the drain, that wait would deadlock the
 * drain that runs in `onApplicationShutdown`. This adapter's `close()` stops listening and
 * closes idle keep-alive connections, then returns without waiting for the upgraded sockets,
 * which the drain owns and closes itself.
 */
export class DrainingExpressAdapter extends ExpressAdapter {
  override close(): Promise<void> {
    const server = this.getHttpServer();
    if (!server?.listening) return Promise.resolve();
    server.close();
    server.closeIdleConnections();
    return Promise.resolve();
  }
}
