import type { ChannelStop, FeedMessage, StreamMessage, SubscribedMessage } from '@app/protocol';
import type { ChannelEvent, Cursor } from './events.js';

/**
 * The client's side of shared channels: per channel followed, its `{epoch, offset}`, the
 * `subscribe` frame that resumes from there after every reconnect, and the facts that prove
 * nothing was lost — an entry at or below the offset is a duplicate (dropped), a skipped offset
 * a gap, and a `recovered: false` on a resumed subscription a loss the server owned up to.
 */
export class ChannelCursors {
  private readonly cursors = new Map<string, Cursor | undefined>();

  constructor(private readonly report: (event: ChannelEvent) => void) {}

  /** Every channel followed. */
  get channels(): string[] {
    return [...this.cursors.keys()];
  }

  follows(channel: string): boolean {
    return this.cursors.has(channel);
  }

  /** Follows `channel`, from `cursor` when given (a cursor kept across a page reload). */
  follow(channel: string, cursor?: Cursor): void {
    if (!this.cursors.has(channel) || cursor) this.cursors.set(channel, cursor && { ...cursor });
  }

  unfollow(channel: string): void {
    this.cursors.delete(channel);
  }

  /** Where each followed channel stands, for storage. */
  snapshot(): Record<string, Cursor> {
    const stands: Record<string, Cursor> = {};
    for (const [channel, cursor] of this.cursors) if (cursor) stands[channel] = { ...cursor };
    return stands;
  }

  /** The `subscribe` frame for `channel`, resuming where this client stands. */
  subscribeFrame(channel: string): string {
    const cursor = this.cursors.get(channel);
    return JSON.stringify(cursor ? { type: 'subscribe', channel, since: cursor } : { type: 'subscribe', channel });
  }

  /** False when the channel is not followed (an answer to an unsubscribed channel). */
  onSubscribed({ channel, epoch, top, recovered }: SubscribedMessage): boolean {
    if (!this.cursors.has(channel)) return false;
    const cursor = this.cursors.get(channel);
    this.report({ type: 'subscribed', channel, epoch, top, recovered });
    if (cursor && !recovered) this.report({ type: 'loss', channel, had: { ...cursor }, resumesAfter: { epoch, offset: top } });
    // Recovered: delivery continues from our offset, in the epoch named (the channel may have
    // moved to one that continues ours). Otherwise delivery starts after `top`.
    if (cursor && recovered) cursor.epoch = epoch;
    else this.cursors.set(channel, { epoch, offset: top });
    return true;
  }

  /**
   * The drain marker's `channels` (`graceful.v2`): where the server stopped sending each one.
   * A cursor behind it in the same epoch means entries were sent and never arrived — a fault
   * over one connection, reported as a gap. The cursor stays put, so the next subscription's
   * `since` asks for them again.
   */
  onDrainMarker(stops: Record<string, ChannelStop>): void {
    for (const [channel, stop] of Object.entries(stops)) {
      const cursor = this.cursors.get(channel);
      if (cursor?.epoch === stop.epoch && cursor.offset < stop.offset) {
        this.report({ type: 'gap', channel, from: cursor.offset + 1, to: stop.offset });
      }
    }
  }

  onFeed({ channel, live }: FeedMessage): void {
    if (this.cursors.has(channel)) this.report({ type: 'feed', channel, live });
  }

  /** False when the entry was dropped (a duplicate, or a channel not followed). */
  onMessage({ channel, offset, id, payload }: StreamMessage): boolean {
    const cursor = this.cursors.get(channel);
    if (!cursor) return false;
    if (offset <= cursor.offset) {
      this.report({ type: 'duplicate', channel, offset });
      return false;
    }
    if (offset > cursor.offset + 1) this.report({ type: 'gap', channel, from: cursor.offset + 1, to: offset - 1 });
    cursor.offset = offset;
    this.report({ type: 'entry', channel, epoch: cursor.epoch, offset, id, payload });
    return true;
  }
}
