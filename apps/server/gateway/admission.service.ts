import { JSON_SUBPROTOCOLS, loggable, pickSubprotocol } from '@app/protocol';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';
import { ShutdownStateService } from '../lifecycle/shutdown-state.service.js';
import type { UpgradeOutcome } from '../metrics/metric-names.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { PeerLog } from '../session/peer-log.js';
import { peerOf } from '../session/peer.js';
import { SessionRegistry } from '../session/session-registry.service.js';
import { JwtAuthenticator } from './auth/jwt-authenticator.js';
import { logEvent } from '@app/contract';

/** What the gate decided about one upgrade request. */
export type Admission =
  { accepted: true; subject: string | undefined } | { accepted: false; status: number; reason: string; headers: Record<string, string> };

const SPOKEN: ReadonlySet<string> = new Set(JSON_SUBPROTOCOLS);

/** Seconds a client refused for the connection cap is asked to wait. */
const RETRY_AFTER_FULL_S = 5;

/**
 * Decides every WebSocket upgrade before the handshake, cheapest check first: shutting down
 * (503), origin (403), connection cap (503 + Retry-After), access token (401). Refusals are HTTP
 * responses, so a client or load balancer can tell "try elsewhere" from "go away".
 */
@Injectable()
export class AdmissionService {
  private readonly logger = new Logger(AdmissionService.name);
  private readonly refusals = new PeerLog(this.logger, 'Upgrades');
  private readonly authenticator: JwtAuthenticator | undefined;
  private readonly subjects = new WeakMap<IncomingMessage, string>();
  /** Upgrades admitted or being checked, not yet sessions. */
  private pending = 0;

  constructor(
    @Inject(SERVER_SETTINGS) private readonly config: ServerSettings,
    private readonly shutdownState: ShutdownStateService,
    private readonly registry: SessionRegistry,
    private readonly metrics: ServerMetrics,
  ) {
    this.authenticator = config.auth.jwt && new JwtAuthenticator(config.auth.jwt);
  }

  /** Decided at once unless there is a token to verify. */
  admit(request: IncomingMessage): Admission | Promise<Admission> {
    const early = this.refusalBeforeAuth(request);
    if (early) return this.refuse(early, request);
    if (!this.authenticator) return this.accept();
    return this.authenticate(request, this.authenticator);
  }

  private async authenticate(request: IncomingMessage, authenticator: JwtAuthenticator): Promise<Admission> {
    this.pending++;
    try {
      const token = bearerToken(request);
      if (token === undefined) {
        return this.refuse(unauthorized('an access token is required', 'Bearer realm="ws"'), request);
      }
      let subject: string;
      try {
        subject = await authenticator.verify(token);
      } catch (err) {
        const why = (err as { code?: string }).code ?? 'invalid token';
        return this.refuse(unauthorized(`access token rejected (${why})`, 'Bearer realm="ws", error="invalid_token"'), request);
      }
      // The check took a while: the shutdown may have begun meanwhile.
      const late = this.shutdownState.shuttingDown ? draining() : undefined;
      if (late) return this.refuse(late, request);
      this.subjects.set(request, subject);
      return this.accept(subject);
    } finally {
      this.pending--;
    }
  }

  /** Counts an upgrade that reached no gateway (an unknown path). */
  unknownPath(): void {
    this.metrics.upgrade('bad_path');
  }

  /** Who the token of an admitted upgrade named, for the connection log. */
  subjectOf(request: IncomingMessage): string | undefined {
    return this.subjects.get(request);
  }

  private refusalBeforeAuth(request: IncomingMessage): Refusal | undefined {
    if (this.shutdownState.shuttingDown) return draining();
    const unspoken = unspokenSubprotocols(request);
    if (unspoken !== undefined) {
      // Accepting without a subprotocol would answer in the text dialect, which a client that
      // asked for something else fails with a bare 1006: say what this server speaks instead.
      return {
        status: 400,
        reason: `unsupported subprotocol ${loggable(unspoken, 100)}; this server speaks ${JSON_SUBPROTOCOLS.join(', ')} (or none, for the original text dialect)`,
        headers: {},
        outcome: 'bad_subprotocol',
      };
    }
    const { allowedOrigins } = this.config.auth;
    const origin = request.headers.origin;
    // Only browsers send Origin, and only browsers need the check (cross-site WebSocket hijacking).
    if (allowedOrigins && origin !== undefined && !allowedOrigins.includes(origin)) {
      return { status: 403, reason: 'origin not allowed', headers: {}, outcome: 'forbidden_origin' };
    }
    if (this.registry.size + this.pending >= this.config.limits.maxConnections) {
      return {
        status: 503,
        reason: `connection limit (${this.config.limits.maxConnections}) reached`,
        headers: { 'Retry-After': String(RETRY_AFTER_FULL_S) },
        outcome: 'refused_limit',
      };
    }
    return undefined;
  }

  private accept(subject?: string): Admission {
    this.metrics.upgrade('accepted');
    return { accepted: true, subject };
  }

  private refuse(refusal: Refusal, request: IncomingMessage): Admission {
    this.metrics.upgrade(refusal.outcome);
    // Refusals while draining are the design working; the others point at a client to look at.
    const level = refusal.status === 503 ? 'log' : 'warn';
    const peer = peerOf(request);
    const { status, reason } = refusal;
    this.refusals.write(
      level,
      `HTTP ${status}`,
      `Refused upgrade from ${peer}: ${status} ${reason}`,
      logEvent('upgrade_refused', { peer, status, reason }),
    );
    return { accepted: false, status: refusal.status, reason: refusal.reason, headers: refusal.headers };
  }
}

type Refusal = Omit<Extract<Admission, { accepted: false }>, 'accepted'> & { outcome: UpgradeOutcome };

function draining(): Refusal {
  return { status: 503, reason: 'server is draining', headers: {}, outcome: 'refused_draining' };
}

function unauthorized(reason: string, challenge: string): Refusal {
  return { status: 401, reason, headers: { 'WWW-Authenticate': challenge }, outcome: 'unauthorized' };
}

/** The offered subprotocols when some were offered and none is a JSON version this server speaks. */
function unspokenSubprotocols(request: IncomingMessage): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  // The common case, one version this server speaks, decided without splitting the header.
  if (header === undefined || SPOKEN.has(header) || header.trim() === '') return undefined;
  const offered = header.split(',').map((name) => name.trim());
  return pickSubprotocol(offered) ? undefined : offered.join(', ');
}

/** From `Authorization: Bearer …`, or the `access_token` query parameter that browsers can set (RFC 6750 §2.3). */
function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer +([^\s]+)\s*$/i.exec(header);
  if (match) return match[1];
  const query = request.url?.split('?', 2)[1];
  return query === undefined ? undefined : (new URLSearchParams(query).get('access_token') ?? undefined);
}
