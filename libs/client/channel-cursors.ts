import type { FeedMessage, StreamMessage, SubscribedMessage } from '@app/protocol';
import type { LoggerService } from '@nestjs/common';
import type { StreamStats } from '../stats/stream-stats.js';

/** Where a client stands in one channel. */
interface Cursor {
  epoch: string;
  offset: number;
}

/**
 * The client's side of shared channels: per channel its `{epoch, offset}`, the `subscribe`
 * frames that resume from there after every reconnect, and the accounting that proves nothing
 * was lost — entries at or below the offset are duplicates (dropped), a skipped offset is a gap,
 * and a `recovered: false` on a resumed subscription is a loss the server owned up to.
 */
export class ChannelCursors {
  private readonly cursors = new Map<string, Cursor | undefined>();

  constructor(
    channels: readonly string[],
    private readonly stats: StreamStats,
    private readonly logger: LoggerService,
  ) {
    for (const channel of channels) {
      this.cursors.set(channel, undefined);
      // A follower that received nothing yet stands at 0, so the fleet's slowest is never overstated.
      stats.reached(channel, 0);
    }
  }

  /** The `subscribe` frame for `channel`, resuming where this client stands. */
  subscribeFrame(channel: string): string {
    const cursor = this.cursors.get(channel);
    return JSON.stringify(cursor ? { type: 'subscribe', channel, since: cursor } : { type: 'subscribe', channel });
  }

  /** Every channel this client follows. */
  get channels(): string[] {
    return [...this.cursors.keys()];
  }

  onSubscribed({ channel, epoch, top, recovered }: SubscribedMessage): void {
    if (!this.cursors.has(channel)) return;
    // A new subscription: a feed stall of the one it replaced is over.
    this.stats.feedResumed(channel, performance.now());
    const cursor = this.cursors.get(channel);
    if (cursor && !recovered) {
      this.stats.unrecoverable++;
      this.logger.warn(`Channel ${channel}: entries after ${cursor.epoch}/${cursor.offset} are gone (recovered: false); resuming at ${epoch}/${top}`);
    }
    // Recovered: delivery continues from our offset, in the epoch named (the channel may have
    // moved to one that continues ours). Otherwise delivery starts after `top`.
    if (cursor && recovered) cursor.epoch = epoch;
    else this.cursors.set(channel, { epoch, offset: top });
  }

  /** The server's live feed of a channel stopped or is back: counted as a stall of that channel. */
  onFeed({ channel, live }: FeedMessage): void {
    if (!this.cursors.has(channel)) return;
    if (live) this.stats.feedResumed(channel, performance.now());
    else {
      this.stats.feedStopped(channel, performance.now());
      this.logger.warn(`Channel ${channel}: the server's live feed stopped (stream backend unreachable); entries follow once it is back`);
    }
  }

  /** False when the entry was a duplicate (dropped). */
  onMessage({ channel, offset, payload }: StreamMessage): boolean {
    const cursor = this.cursors.get(channel);
    if (!cursor) return false;
    if (offset <= cursor.offset) {
      this.stats.duplicates++;
      return false;
    }
    if (offset > cursor.offset + 1) {
      this.stats.gaps += offset - cursor.offset - 1;
      this.logger.warn(`Channel ${channel}: lost entries ${cursor.offset + 1} to ${offset - 1}`);
    }
    cursor.offset = offset;
    this.stats.arrived(channel, performance.now());
    this.stats.received++;
    this.stats.reached(channel, offset);
    if (typeof payload.sentAt === 'number') this.stats.latency.record(Date.now() - payload.sentAt);
    return true;
  }
}
