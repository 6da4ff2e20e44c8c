import { businessItem } from './business-item.js';
import type { BusinessItem, DataFeed } from './data-feed.js';

/**
 * The current item at once, then one per interval. At once, because a client that just moved
 * here from a drained replica should have data again within its reconnect gap, not one
 * interval later.
 */
export class TickerFeed implements DataFeed {
  constructor(private readonly intervalMs: number) {}

  subscribe(deliver: (item: BusinessItem) => void): () => void {
    deliver(businessItem(new Date()));
    const timer = setInterval(() => deliver(businessItem(new Date())), this.intervalMs);
    return () => clearInterval(timer);
  }
}
