import { Inject, Injectable, Logger } from '@nestjs/common';
import { JSON_SUBPROTOCOLS, type JsonSubprotocol } from '@app/protocol';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';
import { JsonCodec, TextCodec, type SessionCodec } from './codec/index.js';
import { TickerFeed } from './feed/index.js';
import { Heartbeat, HeartbeatSweep } from './heartbeat.js';
import { InboundBudget } from './inbound/inbound-budget.js';
import { InboundThrottle } from './inbound/inbound-throttle.js';
import { Outbound } from './outbound.js';
import { PeerLog } from './peer-log.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { StreamBackend } from '../streams/backend/stream-backend.js';
import { SessionStreams } from '../streams/subscription/session-streams.js';
import { RequestExecutor } from './request-executor.js';
import { Session } from './session.js';
import { TickWrites } from './tick-writes.js';

/** Assembles a `Session` and its collaborators for an accepted socket. */
@Injectable()
export class SessionFactory {
  private readonly logger = new Logger('Session');
  /** One codec per dialect and version, shared by every session that speaks it. */
  private readonly codecs = new Map<string, SessionCodec>(JSON_SUBPROTOCOLS.map((name: JsonSubprotocol) => [name, new JsonCodec(name)]));
  private readonly text = new TextCodec();
  private readonly writes = new TickWrites();
  private readonly heartbeats: HeartbeatSweep;

  constructor(
    @Inject(SERVER_SETTINGS) private readonly config: ServerSettings,
    private readonly streamBackend: StreamBackend,
    private readonly metrics: ServerMetrics,
  ) {
    this.heartbeats = new HeartbeatSweep(config.heartbeatMs);
  }

  /** `wire`: the TCP socket the upgrade took over (the request's). */
  create(socket: WebSocket, wire: Duplex, peer: string): Session {
    const { serverId, dataIntervalMs, finalDataItems, maxWorkMs, heartbeatMs, maxPayloadBytes, maxBufferedBytes, limits } = this.config;
    // The subprotocol the gateway picked; none at all is the original text dialect.
    const codec = this.codecs.get(socket.protocol) ?? this.text;
    const log = new PeerLog(this.logger, `Client ${peer}`);
    const { metrics } = this;
    const outbound = new Outbound(socket, wire, this.writes, codec, maxBufferedBytes, peer, log, metrics);
    return new Session({
      socket,
      peer,
      serverId,
      codec,
      outbound,
      inbound: new InboundThrottle(socket, new InboundBudget(limits.inbound), outbound, log, peer, metrics),
      requests: new RequestExecutor(maxWorkMs, metrics),
      heartbeat: new Heartbeat(socket, this.heartbeats),
      feed: new TickerFeed(dataIntervalMs),
      openStreams: (onSettled) => new SessionStreams(this.streamBackend, outbound, this.config.streams, onSettled, this.logger, metrics),
      finalDataItems,
      maxPayloadBytes,
      maxInFlight: limits.maxInFlight,
      heartbeatMs,
      log,
      metrics,
      logger: this.logger,
    });
  }
}
