import type { LoggerService } from '@nestjs/common';
import {
  ErrorCode,
  type ChannelStop,
  type PublishMessage,
  type SequencedBody,
  type SubscribeMessage,
  type UnsubscribeMessage,
} from '@app/protocol';
import { ChannelSubscription } from './channel-subscription.js';
import { ReplayBudget } from './replay-budget.js';
import { BackendUnavailableError, type StreamBackend, type StreamEntry } from '../backend/stream-backend.js';
import type { StreamMetrics } from '../stream-metrics.js';

export interface StreamLimits {
  /** Channels one connection may subscribe to at once. */
  maxSubscriptions: number;
  /** History entries read and sent per step of a replay. */
  replayPageSize: number;
  /** History one connection may replay, all its subscriptions together. */
  replayBytesPerSec: number;
}

const UNAVAILABLE_MESSAGE = 'stream backend unavailable; send it again later';

/**
 * A connection's channel subscriptions and in-flight publishes. A publish counts as in-flight
 * work until its `published` (or refusal) is sent, so the drain waits for it. After `close()`
 * (the drain's close marker, or the socket closing) nothing more is sent.
 *
 * Frames of one connection keep their order across the two: a publish waits until every
 * subscription the connection asked for before it has read its channel's top, so a client that
 * subscribes and then publishes receives its own entry (the top would otherwise be read after
 * the append, and a subscription without `since` starts after the top).
 */
/**
 * What a session's streams write to its peer: the session's `Outbound` (numbered frames, channel
 * entries sent as shared frames, refusals). Declared here so the streams depend on the session
 * only through what they use.
 */
export interface StreamOutput {
  /** The peer's socket is behind: replays wait for it. */
  readonly backlogged: boolean;
  sendSequenced(message: SequencedBody, written?: () => void): number;
  sendEntry(channel: string, entry: StreamEntry, written?: () => void): number;
  reject(code: ErrorCode, message: string, about?: { id?: string; channel?: string }): void;
}

/** Told whenever a publish settles, so a draining session looks again (the session's `DrainWake`). */
export interface SettleListener {
  wake(): void;
}

export class SessionStreams {
  // Created on first use: most connections never touch a channel, and an empty Map or Set
  // costs about 180 bytes per connection.
  private subscriptions: Map<string, ChannelSubscription> | undefined;
  private replayBudget: ReplayBudget | undefined;
  private publishing: Set<string> | undefined;
  /** Subscriptions still reading their channel's top, which a later publish waits for. */
  private starting: Set<Promise<void>> | undefined;
  private closed = false;

  constructor(
    private readonly backend: StreamBackend,
    private readonly outbound: StreamOutput,
    private readonly limits: StreamLimits,
    private readonly settled: SettleListener,
    private readonly logger: LoggerService,
    private readonly metrics: StreamMetrics,
  ) {}

  /** Publishes still waiting for the backend. */
  get inFlight(): number {
    return this.publishing?.size ?? 0;
  }

  subscribe({ channel, since }: SubscribeMessage): void {
    const subscriptions = (this.subscriptions ??= new Map<string, ChannelSubscription>());
    const replacing = subscriptions.get(channel);
    if (!replacing && subscriptions.size >= this.limits.maxSubscriptions) {
      this.outbound.reject(ErrorCode.BAD_MESSAGE, `at most ${this.limits.maxSubscriptions} channels per connection`, { channel });
      return;
    }
    replacing?.stop();
    // Only the current subscription of a channel answers; one replaced meanwhile fails silently.
    const failed = (err: unknown): void => {
      if (subscriptions.get(channel) !== subscription) return;
      subscriptions.delete(channel);
      this.refuseUnavailable(err, { channel });
    };
    const subscription: ChannelSubscription = new ChannelSubscription(
      channel,
      this.backend,
      {
        subscribed: (epoch, top, recovered) => this.send({ type: 'subscribed', channel, epoch, top, recovered }),
        message: (entry, written) => this.sendMessage(channel, entry, written),
        backlogged: () => this.outbound.backlogged,
        fannedOut: (lagMs) => this.metrics.fannedOut(lagMs),
        feed: (live) => this.send({ type: 'feed', channel, live }),
        failed,
      },
      this.limits.replayPageSize,
      (this.replayBudget ??= new ReplayBudget(this.limits.replayBytesPerSec, this.metrics)),
    );
    subscriptions.set(channel, subscription);
    const starting = (this.starting ??= new Set<Promise<void>>());
    const started = subscription.start(since).catch(failed);
    starting.add(started);
    void started.finally(() => starting.delete(started));
  }

  unsubscribe({ channel }: UnsubscribeMessage): void {
    const subscription = this.subscriptions?.get(channel);
    if (!subscription) {
      this.outbound.reject(ErrorCode.BAD_MESSAGE, `not subscribed to "${channel}"`, { channel });
      return;
    }
    subscription.stop();
    this.subscriptions?.delete(channel);
  }

  publish({ id, channel, payload }: PublishMessage): void {
    const publishing = (this.publishing ??= new Set<string>());
    if (publishing.has(id)) {
      this.outbound.reject(ErrorCode.DUPLICATE_ID, `publish "${id}" is already in flight on this connection`, { id });
      return;
    }
    publishing.add(id);
    const takenAt = performance.now();
    const earlierSubscriptions = this.starting?.size ? Promise.all(this.starting) : undefined;
    (earlierSubscriptions
      ? earlierSubscriptions.then(() => this.backend.append(channel, id, payload))
      : this.backend.append(channel, id, payload)
    )
      .then(
        ({ offset, duplicate }) => {
          this.metrics.published(duplicate ? 'duplicate' : 'appended', performance.now() - takenAt);
          this.send({ type: 'published', id, channel, offset, duplicate });
        },
        (err: unknown) => {
          this.metrics.published('unavailable', performance.now() - takenAt);
          this.refuseUnavailable(err, { id });
        },
      )
      .finally(() => {
        publishing.delete(id);
        this.settled.wake();
      });
  }

  /**
   * Stops every subscription; nothing more is sent from here on. Returns where each subscribed
   * channel's delivery stopped, for the drain's marker (absent when none had answered yet).
   */
  close(): Record<string, ChannelStop> | undefined {
    this.closed = true;
    let stops: Record<string, ChannelStop> | undefined;
    for (const [channel, subscription] of this.subscriptions ?? []) {
      subscription.stop();
      const delivered = subscription.delivered;
      if (delivered) (stops ??= {})[channel] = delivered;
    }
    this.subscriptions?.clear();
    return stops;
  }

  /** A channel entry, its frame encoded once however many subscribers get it. Returns the bytes queued (0: not sent). */
  private sendMessage(channel: string, entry: StreamEntry, written?: () => void): number {
    if (this.closed) {
      written?.();
      return 0;
    }
    return this.outbound.sendEntry(channel, entry, written);
  }

  /** Returns the bytes queued (0: not sent). */
  private send(message: SequencedBody, written?: () => void): number {
    if (this.closed) {
      written?.();
      return 0;
    }
    return this.outbound.sendSequenced(message, written);
  }

  private refuseUnavailable(err: unknown, about: { id?: string; channel?: string }): void {
    // Anything but an unreachable backend is a bug: logged loudly, and the peer may retry.
    if (!(err instanceof BackendUnavailableError)) this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    if (!this.closed) this.outbound.reject(ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, about);
  }
}
