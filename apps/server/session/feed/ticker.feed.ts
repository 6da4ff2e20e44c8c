import { businessItem } from './business-item.js';
import type { DataFeed, DataSink } from './data-feed.js';

/**
 * The current item at once, then one per interval. At once, because a client that just moved
 * here from a drained replica should have data again within its reconnect gap, not one
 * interval later.
 */
export class TickerFeed implements DataFeed {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly sink: DataSink,
  ) {}

  start(): void {
    sendItem(this.sink);
    // A module function with the sink as its argument: a closure per connection would cost one.
    this.timer = setInterval(sendItem, this.intervalMs, this.sink);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function sendItem(sink: DataSink): void {
  sink.sendSequenced({ type: 'data', payload: businessItem(new Date()), final: false });
}
