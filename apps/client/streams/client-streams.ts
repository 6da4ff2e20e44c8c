import type { FeedMessage, PublishedMessage, StreamMessage, SubscribedMessage } from '@app/protocol';
import type { LoggerService } from '@nestjs/common';
import type { ClientSettings } from '../config/client.config.js';
import { backoffDelayMs } from '../connection/backoff.js';
import { WorkScheduler } from '../fleet/work-scheduler.js';
import { Outbox } from '../outbox/outbox.js';
import type { StreamStats } from '../stats/stream-stats.js';
import { ChannelCursors } from './channel-cursors.js';

/** The connection as the streams use it: its number (for the outbox) and a way to send. */
export interface StreamLink {
  number: number;
  send: (text: string) => void;
}

type PublishBody = { channel: string; payload: Record<string, unknown> };

/**
 * A virtual client's shared channels: it subscribes to `CHANNELS` on every healthy connection,
 * resuming from its cursors, and publishes to `PUBLISH_CHANNEL` through an outbox of its own
 * (the rules of requests: re-sent until confirmed, `DRAINING` on the next connection,
 * `UNAVAILABLE` after a backoff).
 */
export class ClientStreams {
  private readonly publishes: Outbox<PublishBody>;
  private readonly publisher: WorkScheduler;
  private readonly cursors: ChannelCursors;
  /** Channels and publishes refused with UNAVAILABLE wait for this timer to be tried again (the set is made with the first). */
  private readonly retry: { timer: NodeJS.Timeout | undefined; attempt: number; channels: Set<string> | undefined } = {
    timer: undefined,
    attempt: 0,
    channels: undefined,
  };
  private published = 0;

  constructor(
    private readonly tag: string,
    private readonly settings: ClientSettings,
    private readonly stats: StreamStats,
    private readonly logger: LoggerService,
    /** The connection to send on now, if one is healthy and not draining. */
    private readonly usableLink: () => StreamLink | undefined,
    /** Called when a publish is confirmed (the client may be waiting to exit). */
    private readonly onConfirmed: () => void,
  ) {
    this.publishes = new Outbox(settings.outboxLimit);
    this.publisher = new WorkScheduler(settings.publishChannel ? settings.publishIntervalMs : 0);
    this.cursors = new ChannelCursors(settings.channels, stats, logger);
  }

  /** Publishes not yet confirmed. */
  get outstanding(): number {
    return this.publishes.size;
  }

  start(): void {
    this.publisher.start(() => this.createPublish());
  }

  /** Stops creating publishes; those outstanding are still sent again until confirmed. */
  stopPublishing(): void {
    this.publisher.stop();
  }

  /** The end: no more retries (what is still outstanding stays counted). */
  close(): void {
    clearTimeout(this.retry.timer);
  }

  /** A connection turned healthy: every channel resumes from where this client stands. */
  resume(link: StreamLink): void {
    for (const channel of this.cursors.channels) link.send(this.cursors.subscribeFrame(channel));
    this.retry.channels?.clear();
    this.sendPending(link);
  }

  /** Sends the publishes not yet sent on this connection. */
  sendPending(link: StreamLink): void {
    for (const publish of this.publishes.unsentOn(link.number)) {
      this.publishes.markSent(publish, link.number);
      link.send(JSON.stringify({ type: 'publish', id: publish.id, ...publish.body }));
    }
  }

  onSubscribed(message: SubscribedMessage): void {
    this.retry.attempt = 0;
    this.cursors.onSubscribed(message);
  }

  onMessage(message: StreamMessage): void {
    this.cursors.onMessage(message);
  }

  onFeed(message: FeedMessage): void {
    this.cursors.onFeed(message);
  }

  onPublished({ id, duplicate }: PublishedMessage): 'ok' | 'unknown' {
    const outcome = this.publishes.complete(id);
    this.retry.attempt = 0;
    if (outcome === 'unknown') return 'unknown';
    // Answered twice, or by a backend that had appended it before: either way appended once.
    if (outcome === 'duplicate' || duplicate) this.stats.publishDuplicates++;
    if (outcome === 'completed') {
      this.stats.publishAcked++;
      this.onConfirmed();
    }
    return 'ok';
  }

  /** A refusal (`DRAINING`, `UNAVAILABLE`, `TOO_MANY_IN_FLIGHT`) about one of ours; false when it was not about streams. */
  onRefused(code: 'DRAINING' | 'UNAVAILABLE' | 'TOO_MANY_IN_FLIGHT', about: { id?: string; channel?: string }): boolean {
    const ours = (about.id !== undefined && this.publishes.requeue(about.id)) || (about.channel !== undefined && this.cursors.channels.includes(about.channel));
    // DRAINING: the next connection subscribes and sends again anyway.
    if (ours && code !== 'DRAINING') this.retryLater(about.id === undefined ? about.channel : undefined);
    return ours;
  }

  private retryLater(channel: string | undefined): void {
    const retry = this.retry;
    if (channel !== undefined) (retry.channels ??= new Set<string>()).add(channel);
    if (retry.timer !== undefined) return;
    const delayMs = backoffDelayMs(retry.attempt++, this.settings.reconnectBaseMs, this.settings.streamRetryMaxMs);
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      const link = this.usableLink();
      if (!link) return;
      for (const name of retry.channels ?? []) link.send(this.cursors.subscribeFrame(name));
      retry.channels?.clear();
      this.sendPending(link);
    }, delayMs);
  }

  private createPublish(): void {
    const channel = this.settings.publishChannel!;
    // Numbered only once taken: the ids of what was published run 1…N with no hole for a refusal.
    const n = this.published + 1;
    const id = `${this.tag}-p${n}`;
    if (!this.publishes.add(id, { channel, payload: { sentAt: Date.now(), n } })) {
      this.stats.publishRefused++;
      if (this.stats.publishRefused === 1 || this.stats.publishRefused % 100 === 0) {
        this.logger.warn(`Outbox full (${this.settings.outboxLimit} unconfirmed publishes): refused ${this.stats.publishRefused} so far`);
      }
      return;
    }
    this.published = n;
    this.stats.publishCreated++;
    const link = this.usableLink();
    if (link) this.sendPending(link);
  }
}
