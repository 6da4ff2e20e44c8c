/** Work waiting for its one answer: a request's result, a publish's `published`. */
export interface PendingWork<Body> {
  id: string;
  /** What is sent, as is, on every (re-)send. */
  body: Body;
  /** The connection it was last sent on; undefined while it waits to be (re-)sent. */
  sentOn: number | undefined;
  /** True once it has been sent on any connection. */
  everSent: boolean;
}

export type Completion = 'completed' | 'duplicate' | 'unknown';

/**
 * Work created but not yet answered. It waits here while disconnected or draining, is re-sent
 * on every new connection until answered, and leaves only with its answer — so none is lost
 * across reconnects. Answers are deduplicated by id.
 */
export class Outbox<Body> {
  // Both created on first use: a virtual client that never publishes keeps an empty outbox.
  private pending: Map<string, PendingWork<Body>> | undefined;
  /** Ids answered recently, to recognise a second result; bounded so memory stays flat. */
  private answered: Set<string> | undefined;

  constructor(
    private readonly limit: number,
    private readonly answeredMemory = Math.max(10_000, limit * 10),
  ) {}

  get size(): number {
    return this.pending?.size ?? 0;
  }

  get full(): boolean {
    return this.size >= this.limit;
  }

  /** Adds work; false when the outbox is full (the caller counts the refusal). */
  add(id: string, body: Body): boolean {
    if (this.full) return false;
    (this.pending ??= new Map<string, PendingWork<Body>>()).set(id, { id, body, sentOn: undefined, everSent: false });
    return true;
  }

  /** Work not yet sent on `connection`, oldest first. */
  unsentOn(connection: number): PendingWork<Body>[] {
    return [...(this.pending?.values() ?? [])].filter((request) => request.sentOn !== connection);
  }

  markSent(request: PendingWork<Body>, connection: number): void {
    request.sentOn = connection;
    request.everSent = true;
  }

  /** The server did not take it (`DRAINING`, `UNAVAILABLE`): send it again. False for an id not here. */
  requeue(id: string): boolean {
    const request = this.pending?.get(id);
    if (request) request.sentOn = undefined;
    return request !== undefined;
  }

  complete(id: string): Completion {
    if (this.pending?.delete(id)) {
      const answered = (this.answered ??= new Set<string>());
      answered.add(id);
      if (answered.size > this.answeredMemory) answered.delete(answered.values().next().value as string);
      return 'completed';
    }
    return this.answered?.has(id) ? 'duplicate' : 'unknown';
  }
}
