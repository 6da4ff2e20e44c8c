import { CloseCode, ErrorCode } from '@app/protocol';
import type WebSocket from 'ws';
import type { Outbound } from '../outbound.js';
import type { PeerLog } from '../peer-log.js';
import type { Peer } from '../peer.js';
import type { SessionMetrics } from '../session-metrics.js';
import type { InboundBudget } from './inbound-budget.js';
import { logEvent } from '@app/contract';

/** At most one `RATE_LIMITED` frame per this many ms. */
const NOTICE_INTERVAL_MS = 1000;
/** How long a peer closed for abuse has to take the close frame before its socket is cut. */
const ABUSE_CLOSE_GRACE_MS = 1000;

/**
 * Holds a peer to its inbound budget where it costs nothing: over budget, the socket is paused,
 * so the kernel stops reading from it and TCP pushes back on the sender, instead of this process
 * spending its event loop on the flood. Frames already read are still handled (nothing read is
 * dropped); a peer that runs up more debt than the budget allows is closed with 1008, and what
 * it sends after that is not handled. Nor read: it stays paused and is cut shortly after the
 * close frame, since a flooder would not answer the close handshake but keep sending.
 */
export class InboundThrottle {
  private timer: NodeJS.Timeout | undefined;
  private noticeAt = -Infinity;
  private closing = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly budget: InboundBudget,
    private readonly outbound: Outbound,
    private readonly log: PeerLog,
    private readonly peer: Peer,
    private readonly metrics: Pick<SessionMetrics, 'cut'>,
  ) {}

  /** Charges a frame just read; false when the connection is being closed for abuse. */
  admit(byteLength: number): boolean {
    if (this.closing) return false;
    const verdict = this.budget.charge(byteLength);
    switch (verdict.kind) {
      case 'within':
        return true;
      case 'over':
        this.pause(verdict.pauseMs);
        return true;
      case 'abuse':
        this.closeForAbuse();
        return false;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private pause(pauseMs: number): void {
    this.socket.pause();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.socket.resume(), pauseMs);
    const now = performance.now();
    if (now - this.noticeAt < NOTICE_INTERVAL_MS) return;
    this.noticeAt = now;
    this.log.write(
      'warn',
      'rate-limited',
      `Client ${this.peer.name} is over its inbound budget: not reading it for ${pauseMs} ms`,
      logEvent('inbound_paused', { peer: this.peer.name, pauseMs }),
    );
    this.outbound.send({
      type: 'error',
      code: ErrorCode.RATE_LIMITED,
      message: `over the inbound budget: frames are read again in ${pauseMs} ms`,
    });
  }

  private closeForAbuse(): void {
    this.closing = true;
    this.metrics.cut('rate_limit');
    this.log.write(
      'warn',
      'rate-abuse',
      `Client ${this.peer.name} stayed over its inbound budget; closing with 1008`,
      logEvent('inbound_abused', { peer: this.peer.name }),
    );
    this.socket.pause();
    this.socket.close(CloseCode.POLICY_VIOLATION, 'inbound rate limit exceeded');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.socket.terminate(), ABUSE_CLOSE_GRACE_MS);
  }
}
