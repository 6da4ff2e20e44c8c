import { loggable } from '@app/protocol';
import type { ChannelEvent } from '@app/client';
import type { LoggerService } from '@nestjs/common';
import type { StreamStats } from '../stats/stream-stats.js';
import { logEvent } from '@app/contract';

/** Counts what a channel delivered into a virtual client's `StreamStats`, and logs its losses. */
export class ChannelMeter {
  constructor(
    private readonly stats: StreamStats,
    private readonly logger: LoggerService,
    /** The virtual client's tag, in its events. */
    private readonly client: string,
  ) {}

  /** `channel` is followed: it stands at 0 until an entry arrives, so the fleet's slowest is never overstated. */
  follow(channel: string): void {
    this.stats.reached(channel, 0);
  }

  on(event: ChannelEvent): void {
    const { stats, client } = this;
    const { channel } = event;
    switch (event.type) {
      case 'subscribed':
        // A new subscription: a feed stall of the one it replaced is over.
        stats.feedResumed(event.channel, performance.now());
        return;
      case 'loss': {
        const { had, resumesAfter } = event;
        stats.unrecoverable++;
        this.logger.warn(
          `Channel ${channel}: entries after ${had.epoch}/${had.offset} are gone (recovered: false); resuming at ${resumesAfter.epoch}/${resumesAfter.offset}`,
          logEvent('channel_loss', { client, channel, had, resumesAfter }),
        );
        return;
      }
      case 'feed':
        if (event.live) stats.feedResumed(event.channel, performance.now());
        else {
          stats.feedStopped(event.channel, performance.now());
          this.logger.warn(
            `Channel ${channel}: the server's live feed stopped (stream backend unreachable); entries follow once it is back`,
            logEvent('channel_feed_stopped', { client, channel }),
          );
        }
        return;
      case 'duplicate':
        stats.duplicates++;
        return;
      case 'gap':
        stats.gaps += event.to - event.from + 1;
        this.logger.warn(
          `Channel ${channel}: lost entries ${event.from} to ${event.to}`,
          logEvent('channel_gap', { client, channel, from: event.from, to: event.to }),
        );
        return;
      case 'entry':
        stats.arrived(event.channel, performance.now());
        stats.received++;
        stats.reached(event.channel, event.offset);
        if (typeof event.payload.sentAt === 'number') stats.latency.record(Date.now() - event.payload.sentAt);
        return;
      case 'refused':
        this.logger.warn(
          `Channel ${channel}: subscription refused: ${event.code} ${loggable(event.message)}`,
          logEvent('channel_refused', { client, channel, code: event.code, reason: loggable(event.message) }),
        );
    }
  }
}
