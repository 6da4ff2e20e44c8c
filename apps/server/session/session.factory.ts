import { Inject, Injectable, Logger } from '@nestjs/common';
import { JSON_SUBPROTOCOLS, type JsonSubprotocol } from '@app/protocol';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import { logEvent } from '@app/contract';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';
import { JsonCodec, TextCodec, type SessionCodec } from './codec/index.js';
import { DrainWake } from './drain-wake.js';
import { TickerFeed } from './feed/index.js';
import { Heartbeat, HeartbeatSweep, MISSED_PONGS_LIMIT } from './heartbeat.js';
import { InboundBudget } from './inbound/inbound-budget.js';
import { InboundThrottle } from './inbound/inbound-throttle.js';
import { Outbound } from './outbound.js';
import { PeerLog } from './peer-log.js';
import type { Peer } from './peer.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { StreamBackend } from '../streams/backend/stream-backend.js';
import { SessionStreams } from '../streams/subscription/session-streams.js';
import { RequestExecutor } from './request-executor.js';
import { Session, type SessionObserver, type SessionSettings } from './session.js';
import { TickWrites } from './tick-writes.js';

/**
 * Assembles a `Session` and its collaborators for an accepted socket. What sessions share (the
 * settings, the codecs, the heartbeat sweep; the write batching, `TickWrites`, is the module's)
 * is made once, so that a connection pays only for its own state.
 */
@Injectable()
export class SessionFactory {
  private readonly logger = new Logger('Session');
  /** One codec per dialect and version, shared by every session that speaks it. */
  private readonly codecs = new Map<string, SessionCodec>(JSON_SUBPROTOCOLS.map((name: JsonSubprotocol) => [name, new JsonCodec(name)]));
  private readonly text = new TextCodec();
  private readonly heartbeats: HeartbeatSweep;
  private readonly settings: SessionSettings;

  constructor(
    @Inject(SERVER_SETTINGS) private readonly config: ServerSettings,
    private readonly streamBackend: StreamBackend,
    private readonly metrics: ServerMetrics,
    private readonly writes: TickWrites,
  ) {
    const { serverId, finalDataItems, maxPayloadBytes, heartbeatMs, limits } = config;
    this.settings = {
      serverId,
      finalDataItems,
      maxPayloadBytes,
      maxInFlight: limits.maxInFlight,
      heartbeatMs,
      metrics,
      logger: this.logger,
    };
    this.heartbeats = new HeartbeatSweep(heartbeatMs, (peer) => {
      this.logger.warn(
        `Client ${peer} missed ${MISSED_PONGS_LIMIT} heartbeats; terminating`,
        logEvent('heartbeat_missed', { peer, missed: MISSED_PONGS_LIMIT }),
      );
      metrics.cut('heartbeat');
    });
  }

  /** `wire`: the TCP socket the upgrade took over (the request's). `observer` hears of the close. */
  create(socket: WebSocket, wire: Duplex, peer: Peer, observer: SessionObserver): Session {
    const { config, metrics } = this;
    // The subprotocol the gateway picked; none at all is the original text dialect.
    const codec = this.codecs.get(socket.protocol) ?? this.text;
    const log = new PeerLog(this.logger, peer);
    const outbound = new Outbound(socket, wire, this.writes, codec, config.maxBufferedBytes, peer, log, metrics);
    const wake = new DrainWake();
    return new Session(
      {
        socket,
        peer,
        codec,
        outbound,
        inbound: new InboundThrottle(socket, new InboundBudget(config.limits.inbound), outbound, log, peer, metrics),
        requests: new RequestExecutor(config.maxWorkMs, metrics),
        heartbeat: new Heartbeat(socket, peer, this.heartbeats),
        feed: new TickerFeed(config.dataIntervalMs, outbound),
        streams: new SessionStreams(this.streamBackend, outbound, config.streams, wake, this.logger, metrics),
        wake,
        log,
        observer,
      },
      this.settings,
    );
  }
}
