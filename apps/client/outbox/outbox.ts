/** A request waiting for its one result. */
export interface PendingRequest {
  id: string;
  payload: { workMs: number };
  /** The connection it was last sent on; undefined while it waits to be (re-)sent. */
  sentOn: number | undefined;
  /** True once it has been sent on any connection. */
  everSent: boolean;
}

export type Completion = 'completed' | 'duplicate' | 'unknown';

/**
 * Requests created but not yet answered. They wait here while disconnected or draining, are
 * re-sent on every new connection until answered, and leave only with their result — so none is
 * lost across reconnects. Results are deduplicated by id.
 */
export class Outbox {
  private readonly pending = new Map<string, PendingRequest>();
  /** Ids answered recently, to recognise a second result; bounded so memory stays flat. */
  private readonly answered = new Set<string>();

  constructor(
    private readonly limit: number,
    private readonly answeredMemory = Math.max(10_000, limit * 10),
  ) {}

  get size(): number {
    return this.pending.size;
  }

  get full(): boolean {
    return this.pending.size >= this.limit;
  }

  /** Adds a request; false when the outbox is full (the caller counts the refusal). */
  add(id: string, payload: { workMs: number }): boolean {
    if (this.full) return false;
    this.pending.set(id, { id, payload, sentOn: undefined, everSent: false });
    return true;
  }

  /** Requests not yet sent on `connection`, oldest first. */
  unsentOn(connection: number): PendingRequest[] {
    return [...this.pending.values()].filter((request) => request.sentOn !== connection);
  }

  markSent(request: PendingRequest, connection: number): void {
    request.sentOn = connection;
    request.everSent = true;
  }

  /** The server did not take it (`DRAINING`): send it again on the next connection. */
  requeue(id: string): void {
    const request = this.pending.get(id);
    if (request) request.sentOn = undefined;
  }

  complete(id: string): Completion {
    if (this.pending.delete(id)) {
      this.answered.add(id);
      if (this.answered.size > this.answeredMemory) {
        this.answered.delete(this.answered.values().next().value as string);
      }
      return 'completed';
    }
    return this.answered.has(id) ? 'duplicate' : 'unknown';
  }
}
