import { ErrorCode } from '@app/protocol';

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
  private readonly inFlight = new Map<string, NodeJS.Timeout>();

  constructor(private readonly maxWorkMs: number) {}

  get size(): number {
    return this.inFlight.size;
  }

  /** Starts the work for request `id`; `done` runs when it finishes. Returns why not, if refused. */
  start(id: string, workMs: number, done: (workMs: number) => void): Refusal | undefined {
    if (this.inFlight.has(id)) {
      return { code: ErrorCode.DUPLICATE_ID, message: `request "${id}" is already in flight on this connection` };
    }
    if (workMs > this.maxWorkMs) {
      return { code: ErrorCode.BAD_MESSAGE, message: `payload.workMs must be at most ${this.maxWorkMs}` };
    }
    const timer = setTimeout(() => {
      this.inFlight.delete(id);
      done(workMs);
    }, workMs);
    this.inFlight.set(id, timer);
    return undefined;
  }

  /** Abandons all work: the connection is gone and nobody is left to answer. */
  cancelAll(): void {
    for (const timer of this.inFlight.values()) clearTimeout(timer);
    this.inFlight.clear();
  }
}
