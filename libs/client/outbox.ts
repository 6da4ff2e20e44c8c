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
 * on every new connection until answered, and leaves only with its answer (or a refusal for
 * good) — so none is lost across reconnects. Answers are deduplicated by id. It counts what is
 * in flight on the newest connection, so a client can stay within the server's `MAX_IN_FLIGHT`.
 */
export class Outbox<Body> {
  // Both created on first use: a virtual client that never publishes keeps an empty outbox.
  private pending: Map<string, PendingWork<Body>> | undefined;
  /** Ids answered recently, to recognise a second answer; bounded so memory stays flat. */
  private answered: Set<string> | undefined;
  /** Sent on `connection` and not answered or taken back: connections only ever grow. */
  private inFlight = { connection: 0, count: 0 };

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

  /** Adds work; false when the outbox is full (or holds that id already). */
  add(id: string, body: Body): boolean {
    if (this.full || this.pending?.has(id)) return false;
    (this.pending ??= new Map<string, PendingWork<Body>>()).set(id, { id, body, sentOn: undefined, everSent: false });
    return true;
  }

  get(id: string): PendingWork<Body> | undefined {
    return this.pending?.get(id);
  }

  /** Everything pending, oldest first. */
  all(): PendingWork<Body>[] {
    return [...(this.pending?.values() ?? [])];
  }

  /** Work not yet sent on `connection`, oldest first; lazy, so a caller with a budget stops early. */
  *unsentOn(connection: number): Generator<PendingWork<Body>> {
    for (const work of this.pending?.values() ?? []) if (work.sentOn !== connection) yield work;
  }

  /** Sent and unanswered on `connection`. */
  inFlightOn(connection: number): number {
    return this.inFlight.connection === connection ? this.inFlight.count : 0;
  }

  markSent(work: PendingWork<Body>, connection: number): void {
    if (connection !== this.inFlight.connection) this.inFlight = { connection, count: 0 };
    this.inFlight.count++;
    work.sentOn = connection;
    work.everSent = true;
  }

  /** The server did not take it (`DRAINING`, `UNAVAILABLE`, …): send it again. False for an id not here. */
  requeue(id: string): boolean {
    const work = this.pending?.get(id);
    if (!work) return false;
    this.landed(work);
    work.sentOn = undefined;
    return true;
  }

  /** Refused for good: it leaves without an answer. */
  remove(id: string): PendingWork<Body> | undefined {
    const work = this.pending?.get(id);
    if (!work) return undefined;
    this.landed(work);
    this.pending!.delete(id);
    return work;
  }

  complete(id: string): Completion {
    const work = this.pending?.get(id);
    if (work) {
      this.landed(work);
      this.pending!.delete(id);
      const answered = (this.answered ??= new Set<string>());
      answered.add(id);
      if (answered.size > this.answeredMemory) answered.delete(answered.values().next().value as string);
      return 'completed';
    }
    return this.answered?.has(id) ? 'duplicate' : 'unknown';
  }

  /** It is no longer in flight where it was sent. */
  private landed(work: PendingWork<Body>): void {
    if (work.sentOn !== undefined && work.sentOn === this.inFlight.connection) this.inFlight.count--;
  }
}
