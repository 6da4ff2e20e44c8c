import { loggable } from '@app/protocol';
import type { ChannelEvent } from '@app/client';
import type { LoggerService } from '@nestjs/common';
import type { StreamStats } from '../stats/stream-stats.js';

/** Counts what a channel delivered into a virtual client's `StreamStats`, and logs its losses. */
export class ChannelMeter {
  constructor(
    private readonly stats: StreamStats,
    private readonly logger: LoggerService,
  ) {}

  /** `channel` is followed: it stands at 0 until an entry arrives, so the fleet's slowest is never overstated. */
  follow(channel: string): void {
    this.stats.reached(channel, 0);
  }

  on(event: ChannelEvent): void {
    const { stats } = this;
    switch (event.type) {
      case 'subscribed':
        // A new subscription: a feed stall of the one it replaced is over.
        stats.feedResumed(event.channel, performance.now());
        return;
      case 'loss': {
        const { had, resumesAfter } = event;
        stats.unrecoverable++;
        this.logger.warn(
          `Channel ${event.channel}: entries after ${had.epoch}/${had.offset} are gone (recovered: false); resuming at ${resumesAfter.epoch}/${resumesAfter.offset}`,
        );
        return;
      }
      case 'feed':
        if (event.live) stats.feedResumed(event.channel, performance.now());
        else {
          stats.feedStopped(event.channel, performance.now());
          this.logger.warn(
            `Channel ${event.channel}: the server's live feed stopped (stream backend unreachable); entries follow once it is back`,
          );
        }
        return;
      case 'duplicate':
        stats.duplicates++;
        return;
      case 'gap':
        stats.gaps += event.to - event.from + 1;
        this.logger.warn(`Channel ${event.channel}: lost entries ${event.from} to ${event.to}`);
        return;
      case 'entry':
        stats.arrived(event.channel, performance.now());
        stats.received++;
        stats.reached(event.channel, event.offset);
        if (typeof event.payload.sentAt === 'number') stats.latency.record(Date.now() - event.payload.sentAt);
        return;
      case 'refused':
        this.logger.warn(`Channel ${event.channel}: subscription refused: ${event.code} ${loggable(event.message)}`);
    }
  }
}
