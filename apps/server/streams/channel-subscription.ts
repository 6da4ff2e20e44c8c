import type { LiveListener, StreamBackend, StreamEntry } from './stream-backend.js';

/** Where a subscription's frames go: the session's outbound, in order. */
export interface SubscriptionSink {
  subscribed(epoch: string, top: number, recovered: boolean): void;
  /** Sends one entry; `written` runs once it is written to the socket (or could not be). */
  message(entry: StreamEntry, written?: () => void): void;
  /** A live entry went to `message` `lagMs` after the backend handed it over (replayed entries are not counted). */
  fannedOut(lagMs: number): void;
  /** The backend failed mid-way: the subscription has ended and the client must subscribe again. */
  failed(err: unknown): void;
}

/** Where a client resumes: the epoch and last offset it has. */
export interface Since {
  epoch: string;
  offset: number;
}

/**
 * One channel subscribed on one connection: replay from history, then live, with no entry lost
 * or doubled at the seam. Live entries are registered for *before* the channel's top is read and
 * held while the replay is sent; afterwards only offsets above the last one sent go out, and a
 * hole (an entry the live feed skipped) is filled from history before the entry after it.
 * Everything is sent from one sequential pump, so offsets reach the client in order.
 */
export class ChannelSubscription implements LiveListener {
  private epoch = '';
  private lastSent = 0;
  private live = false;
  private stopped = false;
  private pumping = false;
  private readonly pending: ({ epoch: string; entry: StreamEntry; receivedAt: number } | 'resync')[] = [];
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly channel: string,
    private readonly backend: StreamBackend,
    private readonly sink: SubscriptionSink,
    private readonly pageSize: number,
  ) {}

  /** Subscribes; rejects (having sent nothing) when the backend cannot be reached. */
  async start(since: Since | undefined): Promise<void> {
    this.unlisten = await this.backend.listen(this.channel, this);
    // Stopped (replaced, unsubscribed, closed) while registering: unregister, send nothing.
    if (this.stopped) return this.unlisten();
    let top: number;
    let recovered: boolean;
    try {
      const position = await this.backend.position(this.channel);
      top = position.top;
      this.epoch = position.epoch;
      recovered = since === undefined || (await this.recoverable(since, top));
      this.lastSent = !since ? top : recovered ? since.offset : await this.oldestHeldAfter(top);
    } catch (err) {
      this.stop();
      throw err;
    }
    if (this.stopped) return;
    // After a loss, `top` says where delivery resumes: everything history still holds follows.
    this.sink.subscribed(this.epoch, recovered ? top : this.lastSent, recovered);
    this.live = true;
    void this.pump(top);
  }

  /** Stops delivery at once; nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.unlisten?.();
  }

  entry(epoch: string, entry: StreamEntry): void {
    this.enqueue({ epoch, entry, receivedAt: performance.now() });
  }

  resync(): void {
    this.enqueue('resync');
  }

  private enqueue(item: (typeof this.pending)[number]): void {
    if (this.stopped) return;
    this.pending.push(item);
    if (this.live) void this.pump();
  }

  /**
   * The channel's history was lost under us (expired, or Redis lost its data): a loss the client
   * is told about. Every entry of the new epoch was published since, so all it holds follows.
   */
  private async switchEpoch(epoch: string, upTo: number): Promise<void> {
    this.epoch = epoch;
    this.lastSent = await this.oldestHeldAfter(upTo);
    if (!this.stopped) this.sink.subscribed(epoch, this.lastSent, false);
  }

  /** The offset before the oldest entry history holds (`top` when it holds none). */
  private async oldestHeldAfter(top: number): Promise<number> {
    const page = await this.backend.read(this.channel, 0, 1);
    const first = page.epoch === this.epoch ? page.entries[0] : undefined;
    return first && first.offset <= top ? first.offset - 1 : top;
  }

  /** History still holds everything after `since`, in the same epoch. */
  private async recoverable(since: Since, top: number): Promise<boolean> {
    if (since.epoch !== this.epoch || since.offset > top) return false;
    if (since.offset === top) return true;
    const page = await this.backend.read(this.channel, since.offset, 1);
    return page.epoch === this.epoch && page.entries[0]?.offset === since.offset + 1;
  }

  /** Sends whatever is pending, in order; `replayTo` first replays history up to that offset. */
  private async pump(replayTo?: number): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      if (replayTo !== undefined) await this.catchUp(replayTo);
      while (!this.stopped && this.pending.length > 0) {
        const item = this.pending.shift()!;
        if (item === 'resync') await this.catchUp((await this.backend.position(this.channel)).top);
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
    if (epoch !== this.epoch) await this.switchEpoch(epoch, entry.offset - 1);
    if (this.stopped) return;
    if (entry.offset <= this.lastSent) return;
    if (entry.offset > this.lastSent + 1) await this.catchUp(entry.offset - 1);
    if (this.stopped) return;
    this.lastSent = entry.offset;
    this.sink.message(entry);
    this.sink.fannedOut(performance.now() - receivedAt);
  }

  /**
   * Sends the entries after `lastSent` up to `upTo` from history, a page at a time, each page
   * only once the previous one is written: a long replay never piles up in the socket's buffer.
   */
  private async catchUp(upTo: number): Promise<void> {
    while (!this.stopped && this.lastSent < upTo) {
      const page = await this.backend.read(this.channel, this.lastSent, Math.min(this.pageSize, upTo - this.lastSent));
      if (this.stopped) return;
      const first = page.entries[0];
      if (page.epoch !== this.epoch) {
        // No epoch: the channel holds nothing now, and its next entry comes with a new one.
        if (page.epoch === '') return;
        await this.switchEpoch(page.epoch, upTo);
        continue;
      }
      if (first?.offset !== this.lastSent + 1) {
        // Trimmed before it could be sent: tell the client instead of skipping silently, and
        // go on from the oldest entry history still holds.
        this.lastSent = first && first.offset <= upTo ? first.offset - 1 : upTo;
        this.sink.subscribed(this.epoch, this.lastSent, false);
        continue;
      }
      const entries = page.entries.filter((entry) => entry.offset <= upTo);
      this.lastSent = entries.at(-1)!.offset;
      await new Promise<void>((written) => entries.forEach((entry, index) => this.sink.message(entry, index === entries.length - 1 ? written : undefined)));
    }
  }
}
