import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SUBPROTOCOL } from '@app/protocol';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { serverConfig } from '../config/server.config.js';
import { Session } from './session.js';

/** Creates a `Session` for each accepted socket and keeps the live ones for the drain. */
@Injectable()
export class SessionRegistry {
  private readonly logger = new Logger('Server');
  private readonly sessions = new Set<Session>();

  constructor(@Inject(serverConfig.KEY) private readonly config: ConfigType<typeof serverConfig>) {}

  open(socket: WebSocket, request: IncomingMessage): Session {
    const peer = `${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`;
    const dialect = socket.protocol === SUBPROTOCOL ? 'json' : 'text';
    const session = new Session(socket, dialect, peer, this.config, this.logger);
    this.sessions.add(session);
    this.logger.log(`Client connected: ${peer}`);
    void session.closed.then(() => {
      this.sessions.delete(session);
      this.logger.log(`Client disconnected: ${peer}`);
    });
    session.start();
    return session;
  }

  /** The sessions whose sockets are still open or closing. */
  live(): Session[] {
    return [...this.sessions];
  }
}
