import type { ChannelStop } from '@app/protocol';
import type { ReplayBudget } from './replay-budget.js';
import { sharedUpTo, type ChannelPosition, type LiveListener, type StreamBackend, type StreamEntry } from '../backend/stream-backend.js';

/** Where a subscription's frames go: the session's outbound, in order. */
export interface SubscriptionSink {
  subscribed(epoch: string, top: number, recovered: boolean): void;
  /** Sends one entry and returns the bytes queued for it (0: not sent); `written` runs once it is written to the socket (or could not be). */
  message(entry: StreamEntry, written?: () => void): number;
  /** The connection has queued as much as a sender that can wait (a replay) should add to. */
  backlogged(): boolean;
  /** A live entry went to `message` `lagMs` after the backend handed it over (replayed entries are not counted). */
  fannedOut(lagMs: number): void;
  /** The live feed stopped (`false`: entries may be appended unseen until it is back) or is back (`true`). */
  feed(live: boolean): void;
  /** The backend failed mid-way: the subscription has ended and the client must subscribe again. */
  failed(err: unknown): void;
}

/** Where a client resumes: the epoch and last offset it has. */
export interface Since {
  epoch: string;
  offset: number;
}

/**
 * Where a subscriber that holds everything up to `cursor` resumes in the channel as `position`
 * describes it, before looking at what history still holds: after offset `from`, and whether it
 * is owed entries that are gone (`lost`).
 *
 * - Same epoch: at its offset — unless that is beyond the top, which only a loss the backend did
 *   not see (or a made-up cursor) explains: then at the top, told.
 * - An epoch the current one continues: entries up to the shared offset are the same in both, so
 *   a cursor at or below it resumes as if nothing happened; one above it holds entries of a
 *   timeline that is gone, and resumes at the shared offset, told.
 * - Any other epoch: nothing is known to be shared; told, from the start of what history holds.
 */
export function resumePoint(cursor: Since, position: ChannelPosition): { from: number; lost: boolean } {
  if (cursor.epoch === position.epoch) {
    return cursor.offset > position.top ? { from: position.top, lost: true } : { from: cursor.offset, lost: false };
  }
  const shared = sharedUpTo(position, cursor.epoch);
  if (shared === undefined) return { from: 0, lost: true };
  return cursor.offset > shared ? { from: shared, lost: true } : { from: cursor.offset, lost: false };
}

type Pending = { epoch: string; entry: StreamEntry; receivedAt: number } | 'resync' | 'stalled';

/**
 * One channel subscribed on one connection: replay from history, then live, with no entry lost
 * or doubled at the seam. Live entries are registered for *before* the channel's top is read and
 * held while the replay is sent; afterwards only offsets above the last one sent go out, and a
 * hole (an entry the live feed skipped) is filled from history before the entry after it.
 * Everything is sent from one sequential pump, so offsets reach the client in order.
 *
 * Epochs: when the channel moves to another epoch (a failover, Redis losing data), the
 * subscription works out from the lineage whether this subscriber lost anything and says so in a
 * new `subscribed` — `recovered: true` with the new epoch when the entries it has are the same in
 * both, `recovered: false` with where delivery resumes when they are not. It never replays offsets
 * under an old epoch, and never skips silently.
 */
export class ChannelSubscription implements LiveListener {
  private epoch = '';
  private lastSent = 0;
  private live = false;
  private stopped = false;
  private pumping = false;
  private feedDown = false;
  private readonly pending: Pending[] = [];
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly channel: string,
    private readonly backend: StreamBackend,
    private readonly sink: SubscriptionSink,
    private readonly pageSize: number,
    /** The connection's replay allowance, shared by its subscriptions. */
    private readonly replayBudget: Pick<ReplayBudget, 'spend' | 'ready'>,
  ) {}

  /** Subscribes; rejects (having sent nothing) when the backend cannot be reached. */
  async start(since: Since | undefined): Promise<void> {
    this.unlisten = await this.backend.listen(this.channel, this);
    // Stopped (replaced, unsubscribed, closed) while registering: unregister, send nothing.
    if (this.stopped) return this.unlisten();
    let position: ChannelPosition;
    let recovered = true;
    try {
      position = await this.backend.position(this.channel);
      this.epoch = position.epoch;
      this.lastSent = position.top;
      if (since) {
        const resumed = await this.resume(since, position);
        this.lastSent = resumed.from;
        recovered = !resumed.lost;
      }
    } catch (err) {
      this.stop();
      throw err;
    }
    if (this.stopped) return;
    // After a loss, `top` says where delivery resumes: everything history still holds follows.
    this.sink.subscribed(this.epoch, recovered ? position.top : this.lastSent, recovered);
    this.live = true;
    void this.pump(position.top);
  }

  /**
   * Where delivery stands once `subscribed` went out: the epoch and the last offset sent (or
   * announced) — the client's cursor, if it received everything sent.
   */
  get delivered(): ChannelStop | undefined {
    return this.live ? { epoch: this.epoch, offset: this.lastSent } : undefined;
  }

  /** Stops delivery at once; nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.unlisten?.();
  }

  entry(epoch: string, entry: StreamEntry): void {
    // The common case, a live subscriber with nothing pending getting the next offset: sent at
    // once, with no promise or queue step per entry per subscriber.
    if (
      this.live &&
      !this.stopped &&
      !this.pumping &&
      this.pending.length === 0 &&
      epoch === this.epoch &&
      entry.offset === this.lastSent + 1
    ) {
      this.lastSent = entry.offset;
      this.sink.message(entry);
      this.sink.fannedOut(0);
      return;
    }
    this.enqueue({ epoch, entry, receivedAt: performance.now() });
  }

  stalled(): void {
    if (this.feedDown) return;
    this.feedDown = true;
    this.enqueue('stalled');
  }

  resync(): void {
    this.enqueue('resync');
  }

  private enqueue(item: Pending): void {
    if (this.stopped) return;
    this.pending.push(item);
    if (this.live) void this.pump();
  }

  /** `resumePoint`, then moved past whatever history no longer holds (trimmed or expired: a loss too). */
  private async resume(cursor: Since, position: ChannelPosition): Promise<{ from: number; lost: boolean }> {
    const point = resumePoint(cursor, position);
    if (point.from >= position.top) return point;
    const page = await this.backend.read(this.channel, point.from, 1);
    const first = page.epoch === position.epoch ? page.entries[0] : undefined;
    if (first?.offset === point.from + 1) return point;
    return { from: first && first.offset <= position.top ? first.offset - 1 : position.top, lost: true };
  }

  /** The channel is in another epoch now: tell the client whether it lost anything, and go on from there. */
  private async switchTo(position: ChannelPosition): Promise<void> {
    const { from, lost } = await this.resume({ epoch: this.epoch, offset: this.lastSent }, position);
    if (this.stopped) return;
    this.epoch = position.epoch;
    this.lastSent = from;
    this.sink.subscribed(position.epoch, lost ? from : position.top, !lost);
  }

  /**
   * The live feed is back (or says it may have missed entries): adopt a new epoch if there is
   * one, and catch up. The same epoch with its top below what was sent is a loss nothing else
   * saw: the channel moves to a new epoch (once, whichever server sees it first) and every
   * subscriber is told.
   */
  private async resynchronize(): Promise<void> {
    if (this.feedDown) {
      this.feedDown = false;
      this.sink.feed(true);
    }
    let position = await this.backend.position(this.channel);
    if (position.epoch === this.epoch && position.top < this.lastSent) {
      await this.backend.renewEpoch(this.channel, this.epoch);
      position = await this.backend.position(this.channel);
    }
    if (position.epoch !== this.epoch) await this.switchTo(position);
    await this.catchUp(position.top);
  }

  /** Sends whatever is pending, in order; `replayTo` first replays history up to that offset. */
  private async pump(replayTo?: number): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      if (replayTo !== undefined) await this.catchUp(replayTo);
      while (!this.stopped && this.pending.length > 0) {
        const item = this.pending.shift()!;
        if (item === 'resync') await this.resynchronize();
        else if (item === 'stalled') this.sink.feed(false);
        else await this.deliver(item.epoch, item.entry, item.receivedAt);
      }
    } catch (err) {
      if (this.stopped) return;
      this.stop();
      this.sink.failed(err);
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(epoch: string, entry: StreamEntry, receivedAt: number): Promise<void> {
    if (epoch !== this.epoch) {
      const position = await this.backend.position(this.channel);
      if (position.epoch !== this.epoch) await this.switchTo(position);
      // An entry of an epoch that is not the current one is in history under the current one, or gone.
      if (epoch !== this.epoch) return this.catchUp(position.top);
    }
    if (this.stopped || entry.offset <= this.lastSent) return;
    if (entry.offset > this.lastSent + 1) await this.catchUp(entry.offset - 1);
    // The catch-up moved to another epoch (the entry is then history there, or gone), or left a
    // hole it cannot see yet: never deliver across either; what is missing comes first.
    if (this.stopped || epoch !== this.epoch || entry.offset !== this.lastSent + 1) return;
    this.lastSent = entry.offset;
    this.sink.message(entry);
    this.sink.fannedOut(performance.now() - receivedAt);
  }

  /**
   * Sends the entries after `lastSent` up to `upTo` from history, a page at a time, paced by the
   * socket (`sendPaced`): a long replay never piles up in the socket's buffer.
   */
  private async catchUp(upTo: number): Promise<void> {
    while (!this.stopped && this.lastSent < upTo) {
      await this.replayBudget.ready();
      if (this.stopped) return;
      const page = await this.backend.read(this.channel, this.lastSent, Math.min(this.pageSize, upTo - this.lastSent));
      if (this.stopped) return;
      if (page.epoch !== this.epoch) {
        // No epoch: the channel holds nothing now, and its next entry comes with a new one.
        if (page.epoch === '') return;
        const position = await this.backend.position(this.channel);
        if (position.epoch === this.epoch) return;
        await this.switchTo(position);
        upTo = position.top;
        continue;
      }
      const first = page.entries[0];
      if (first === undefined && page.top <= this.lastSent) {
        // Not visible where this was read (a promoted master whose commit marks lag the entry that
        // asked for them): the channel's position settles it — it renews the epoch of a master
        // that changed, and says whether anything past what was sent is there to read now.
        const position = await this.backend.position(this.channel);
        if (this.stopped) return;
        if (position.epoch !== this.epoch) {
          await this.switchTo(position);
          upTo = position.top;
          continue;
        }
        if (position.top <= this.lastSent) return;
        upTo = Math.min(upTo, position.top);
        continue;
      }
      if (first?.offset !== this.lastSent + 1) {
        // Trimmed before it could be sent: tell the client instead of skipping silently, and
        // go on from the oldest entry history still holds.
        this.lastSent = first && first.offset <= upTo ? first.offset - 1 : upTo;
        this.sink.subscribed(this.epoch, this.lastSent, false);
        continue;
      }
      await this.sendPaced(page.entries.filter((entry) => entry.offset <= upTo));
    }
  }

  /**
   * Sends replayed entries in order, paced by the socket: once the connection is backlogged,
   * each entry waits for the one it follows to be written out, so a reader that keeps reading is
   * never cut as a slow consumer for what a replay queued. Resolves once the last one is written.
   * What is sent is charged to the connection's replay budget.
   */
  private async sendPaced(entries: StreamEntry[]): Promise<void> {
    for (const [index, entry] of entries.entries()) {
      if (this.stopped) return;
      this.lastSent = entry.offset;
      let done: (() => void) | undefined;
      const written = index === entries.length - 1 || this.sink.backlogged() ? new Promise<void>((resolve) => (done = resolve)) : undefined;
      this.replayBudget.spend(this.sink.message(entry, done));
      await written;
    }
  }
}
