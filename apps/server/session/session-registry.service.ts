import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { loggable } from '@app/protocol';
import type WebSocket from 'ws';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { Peer } from './peer.js';
import { SessionFactory } from './session.factory.js';
import type { Session, SessionObserver } from './session.js';
import { logEvent } from '@app/contract';

/** Opens a `Session` for each accepted socket and keeps the live ones for the drain. */
@Injectable()
export class SessionRegistry implements SessionObserver {
  private readonly logger = new Logger(SessionRegistry.name);
  private readonly sessions = new Set<Session>();

  constructor(
    private readonly factory: SessionFactory,
    private readonly metrics: ServerMetrics,
  ) {}

  /** `subject`: who the access token named, when auth is on. */
  open(socket: WebSocket, request: IncomingMessage, subject?: string): Session {
    const session = this.factory.create(socket, request.socket, new Peer(request.socket), this);
    this.sessions.add(session);
    this.metrics.connectionOpened(session.dialect);
    // Debug level: one line per connection is most of what logging costs an accept, and not even
    // built unless printed (docs/benchmarks.md); the metrics count connections, and LOG_LEVEL=debug
    // brings the lines back.
    if (Logger.isLevelEnabled('debug')) this.logConnected(session, subject);
    // `hello` and the first data item leave in one TCP write with the handshake's response: the
    // adapter held the socket's writes for this turn (`TickWrites`).
    session.start();
    return session;
  }

  sessionClosed(session: Session, code: number): void {
    this.sessions.delete(session);
    this.metrics.connectionClosed(session.dialect);
    if (!Logger.isLevelEnabled('debug')) return;
    const peer = session.peer.name;
    this.logger.debug(`Client disconnected: ${peer}`, logEvent('client_disconnected', { peer, code }));
  }

  private logConnected(session: Session, subject: string | undefined): void {
    const peer = session.peer.name;
    const shown = subject === undefined ? undefined : loggable(subject, 100);
    this.logger.debug(
      `Client connected: ${peer}${shown === undefined ? '' : ` (subject ${shown})`}`,
      logEvent('client_connected', { peer, dialect: session.dialect, ...(shown === undefined ? {} : { subject: shown }) }),
    );
  }

  /** Sessions open or closing. */
  get size(): number {
    return this.sessions.size;
  }

  /** The sessions whose sockets are still open or closing. */
  live(): Session[] {
    return [...this.sessions];
  }
}
