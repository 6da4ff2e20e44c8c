import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { once } from 'node:events';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions } from 'ws';
import type { Admission } from '../gateway/admission.service.js';

export interface DrainingWsAdapterOptions {
  /** Decides each upgrade before the handshake (shutdown, origin, limits, auth). */
  admit: (request: IncomingMessage) => Admission | Promise<Admission>;
  /** Told of an upgrade to a path no gateway serves (answered 404). */
  onUnknownPath: () => void;
  maxPayloadBytes: number;
  /**
   * Holds an accepted connection's writes until the end of this turn (`TickWrites`), so that the
   * handshake's response leaves in one TCP write with the session's first frames.
   */
  holdWrites: (socket: Duplex) => void;
}

/**
 * Serves the gateway's upgrades on the application's HTTP server, for as long as that server
 * listens: until the drain is over, not just until Nest disposes the adapters.
 *
 * The stock `WsAdapter` terminates every socket when Nest disposes it (close code 1006, queued
 * frames lost) — before `onApplicationShutdown`, where the drain runs — and takes its upgrade
 * listener off, so later upgrades fall through to Express (404) or are reset. This adapter
 * leaves established sockets to the drain and keeps answering upgrades: from the shutdown signal
 * on with HTTP 503, so a client behind a lagging load balancer retries another replica. A path
 * no gateway serves gets a 404 response rather than a silent reset. An upgrade pipelined behind
 * a request still being answered is not taken: the connection ends once that response is out.
 */
export class DrainingWsAdapter extends WsAdapter {
  private readonly gateways = new Map<string, WebSocketServer>();
  private routing = false;
  /** Per connection, the last HTTP response not yet finished (one connection answers in order). */
  private readonly unfinished = new WeakMap<Duplex, ServerResponse>();

  constructor(
    app: INestApplicationContext,
    private readonly options: DrainingWsAdapterOptions,
  ) {
    super(app);
  }

  override create(port: number, options: ServerOptions = {}): WebSocketServer {
    const { path = '/', ...wsOptions } = options;
    if (port !== 0) throw new Error('DrainingWsAdapter serves gateways on the application port only (port 0)');
    const gateway = new WebSocketServer({
      ...wsOptions,
      server: undefined,
      noServer: true,
      maxPayload: this.options.maxPayloadBytes,
      // One message per turn of the event loop, not a whole read's worth (thousands of tiny frames)
      // at once: health checks, signals and other peers get their turn between a flooder's frames.
      allowSynchronousEvents: false,
      // Sessions are kept by the registry; ws's own set would hold every socket a second time.
      clientTracking: false,
    });
    this.gateways.set(path, gateway);
    this.bindErrorHandler(gateway);
    if (!this.routing) {
      this.routing = true;
      const server = this.httpServer as Server;
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.route(request, socket, head));
      server.on('request', (request: IncomingMessage, response: ServerResponse) => {
        this.unfinished.set(request.socket, response);
        response.once('close', () => {
          if (this.unfinished.get(request.socket) === response) this.unfinished.delete(request.socket);
        });
      });
    }
    return gateway;
  }

  /**
   * Nest calls this for each message handler a gateway declares; this gateway declares none
   * (sessions read their own sockets), so there is no per-socket pipeline to build.
   */
  override bindMessageHandlers(...args: Parameters<WsAdapter['bindMessageHandlers']>): void {
    const [, handlers] = args;
    if (handlers.length > 0) super.bindMessageHandlers(...args);
  }

  /**
   * Binds nothing: no gateway here implements `handleDisconnect` (a session hears its own socket
   * close), and Nest's hook would put a `once('close')` on every socket — two closures and their
   * contexts per idle connection — to feed a Subject nobody reads. The adapter's spec fails if a
   * gateway starts implementing it.
   */
  override bindClientDisconnect(): void {}

  /** Leaves every open socket to the drain; upgrades keep being answered (503) until exit. */
  override close(): Promise<void> {
    return Promise.resolve();
  }

  /** The upgrade listener stays until the HTTP server closes after the drain. */
  override dispose(): Promise<void> {
    return Promise.resolve();
  }

  /** Socket errors are reported by their sessions, with the peer named. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (err) => this.logger.error(err));
    return server;
  }

  private async route(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A function that captures nothing: this listener stays on the socket for its whole life, and
    // a closure here would keep the upgrade request (headers and all) alive with it.
    socket.on('error', destroySocket);
    const before = this.unfinished.get(socket);
    if (before) {
      // Switching protocols now would put that response inside the WebSocket stream: the upgrade
      // is not taken, and the connection ends once the response is out (Node ends it then too).
      await once(before, 'close').catch(() => undefined);
      socket.end();
      return;
    }
    const gateway = this.gateways.get(pathOf(request.url));
    if (!gateway) {
      this.options.onUnknownPath();
      return refuseUpgrade(socket, 404, 'no WebSocket endpoint at this path');
    }
    const decided = this.options.admit(request);
    // Most upgrades are decided at once (no token to verify) and answered in this same turn.
    const admission = decided instanceof Promise ? await decided : decided;
    if (socket.destroyed) return;
    if (!admission.accepted) return refuseUpgrade(socket, admission.status, admission.reason, admission.headers);
    this.options.holdWrites(socket);
    gateway.handleUpgrade(request, socket, head, (ws) => gateway.emit('connection', ws, request));
  }
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

function pathOf(url = '/'): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Answers an upgrade request with an HTTP error and closes the connection. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${reason}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
