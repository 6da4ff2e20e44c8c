import type { ErrorCode } from '@app/protocol';
import type { Dialect } from './codec/index.js';

/** Why the server ended a connection without the peer asking. */
export type CutReason = 'heartbeat' | 'slow_consumer' | 'rate_limit' | 'drain_deadline';

/**
 * What sessions report about themselves. An interface, so that the session and its
 * collaborators do not depend on a metrics library; `ServerMetrics` implements it.
 */
export interface SessionMetrics {
  connectionOpened(dialect: Dialect): void;
  connectionClosed(dialect: Dialect): void;
  /** `type`: a message type of the protocol, `invalid`, `chatter`, or the control frames `ping` and `pong` — a bounded set. */
  frameReceived(type: string): void;
  frameSent(type: string): void;
  rejected(code: ErrorCode): void;
  cut(reason: CutReason): void;
  /** A request was taken; the returned function is called once it leaves: answered, or abandoned with its connection. */
  requestStarted(): (answered: boolean) => void;
}
