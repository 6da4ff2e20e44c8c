import { ErrorCode } from '@app/protocol';
import type { SessionMetrics } from './session-metrics.js';

/** Why a request was not taken. */
export interface Refusal {
  code: typeof ErrorCode.DUPLICATE_ID | typeof ErrorCode.BAD_MESSAGE;
  message: string;
}

/**
 * A connection's in-flight requests: each one's simulated work (`payload.workMs`) runs on a
 * timer, and its completion is reported once.
 */
export class RequestExecutor {
  /** Created with the first request: an idle connection does not pay for an empty Map. */
  private inFlight: Map<string, { timer: NodeJS.Timeout; left: (answered: boolean) => void }> | undefined;

  constructor(
    private readonly maxWorkMs: number,
    private readonly metrics: Pick<SessionMetrics, 'requestStarted'>,
  ) {}

  get size(): number {
    return this.inFlight?.size ?? 0;
  }

  /** Starts the work for request `id`; `done` runs when it finishes. Returns why not, if refused. */
  start(id: string, workMs: number, done: (workMs: number) => void): Refusal | undefined {
    const inFlight = (this.inFlight ??= new Map<string, { timer: NodeJS.Timeout; left: (answered: boolean) => void }>());
    if (inFlight.has(id)) {
      return { code: ErrorCode.DUPLICATE_ID, message: `request "${id}" is already in flight on this connection` };
    }
    if (workMs > this.maxWorkMs) {
      return { code: ErrorCode.BAD_MESSAGE, message: `payload.workMs must be at most ${this.maxWorkMs}` };
    }
    const left = this.metrics.requestStarted();
    const timer = setTimeout(() => {
      inFlight.delete(id);
      left(true);
      done(workMs);
    }, workMs);
    inFlight.set(id, { timer, left });
    return undefined;
  }

  /** Abandons all work: the connection is gone and nobody is left to answer. */
  cancelAll(): void {
    for (const { timer, left } of this.inFlight?.values() ?? []) {
      clearTimeout(timer);
      left(false);
    }
    this.inFlight = undefined;
  }
}
