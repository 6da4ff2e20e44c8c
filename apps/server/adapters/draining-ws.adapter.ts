import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocketServer } from 'ws';

export interface DrainingWsAdapterOptions {
  /** False once shutdown has begun: new upgrades are then answered with HTTP 503. */
  acceptingConnections: () => boolean;
  maxPayloadBytes: number;
}

/**
 * The stock `WsAdapter` terminates every socket when Nest disposes it (close code 1006, queued
 * frames lost) — before `onApplicationShutdown`, where the drain runs. This adapter leaves
 * established sockets to the drain: on close it only stops the WebSocket server from taking
 * new upgrades. From the shutdown signal on it already refuses upgrades with HTTP 503, so a
 * client behind a lagging load balancer retries another replica instead of landing here.
 */
export class DrainingWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly options: DrainingWsAdapterOptions,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}): WebSocketServer {
    return super.create(port, {
      ...options,
      maxPayload: this.options.maxPayloadBytes,
      verifyClient: (_info: unknown, accept: (ok: boolean, code?: number, message?: string) => void) =>
        this.options.acceptingConnections() ? accept(true) : accept(false, 503, 'Server is draining'),
    }) as WebSocketServer;
  }

  /** Stops new upgrades (ws answers 503) and leaves every open socket to the drain. */
  override close(server: WebSocketServer): Promise<void> {
    server.close();
    return Promise.resolve();
  }

  /** Socket errors are reported by their sessions, with the peer named. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (err) => this.logger.error(err));
    return server;
  }
}
