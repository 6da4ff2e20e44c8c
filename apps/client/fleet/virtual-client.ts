import { formatClock, type ServerMessage } from '@app/protocol';
import type { LoggerService } from '@nestjs/common';
import { defer, of, repeat, retry, tap, timer, type Observable, type Subscription } from 'rxjs';
import type { ClientSettings } from '../config/client.config.js';
import { backoffDelayMs, drainReconnectDelayMs } from '../connection/backoff.js';
import { connect$, type Inbound } from '../connection/connection.js';
import { Outbox } from '../outbox/outbox.js';
import { ClientStats, type Outstanding } from '../stats/client-stats.js';
import { ChannelCursors } from '../streams/channel-cursors.js';
import { ReconnectGapMeter, type EndKind } from './reconnect-gap.js';
import { WorkScheduler } from './work-scheduler.js';
import { SeqTracker } from './seq-tracker.js';

/** The connection currently in use. */
interface Link {
  number: number;
  send: (text: string) => void;
  /** Healthy: `hello` received (text dialect: open). Requests are sent only then. */
  ready: boolean;
  /** The server sent its drain notice: send nothing new on this link. */
  draining: boolean;
  seq: SeqTracker;
}

/**
 * One simulated client: an RxJS pipeline that keeps a connection up, an outbox that keeps its
 * requests until answered, and the counters that prove nothing was lost.
 */
export class VirtualClient {
  readonly stats = new ClientStats();
  private readonly outbox = new Outbox<{ workMs: number }>(this.settings.outboxLimit);
  private readonly publishes = new Outbox<{ channel: string; payload: Record<string, unknown> }>(this.settings.outboxLimit);
  private readonly scheduler = new WorkScheduler(this.settings.requestIntervalMs);
  private readonly publisher = new WorkScheduler(this.settings.publishChannel ? this.settings.publishIntervalMs : 0);
  private readonly cursors = new ChannelCursors(this.settings.channels, this.stats.stream, this.logger);
  /** Channels and publishes refused with UNAVAILABLE wait for this timer to be tried again. */
  private streamRetry: { timer: NodeJS.Timeout | undefined; attempt: number; channels: Set<string> } = {
    timer: undefined,
    attempt: 0,
    channels: new Set(),
  };
  private publishCounter = 0;
  private readonly gaps = new ReconnectGapMeter(this.stats);
  private link: Link | undefined;
  private connectionCount = 0;
  private failuresSinceHealthy = 0;
  private advisedJitterMs = 0;
  private requestCounter = 0;
  private subscription: Subscription | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private onOutboxEmpty: (() => void) | undefined;

  constructor(
    private readonly tag: string,
    private readonly settings: ClientSettings,
    private readonly logger: LoggerService,
    /** Per-frame lines at `log` level (a single client, as the original) or `debug` (a fleet). */
    private readonly frameLogLevel: 'log' | 'debug',
  ) {}

  get outstanding(): Outstanding {
    return { requests: this.outbox.size, publishes: this.publishes.size };
  }

  get connected(): boolean {
    return this.link?.ready === true;
  }

  start(): void {
    const { serverUrl, dialect, heartbeatMs } = this.settings;
    this.subscription = defer(() => {
      this.logger.log(`Connecting to ${serverUrl}`);
      return connect$({
        url: serverUrl,
        dialect,
        heartbeatMs,
        onSocketClosed: (code, reason) => this.logFrame(`Socket closed with ${code} ${reason}`.trimEnd(), 'debug'),
      });
    })
      .pipe(
        tap({
          next: (inbound) => this.onInbound(inbound),
          complete: () => this.onEnded('drain'),
          error: (err: Error) => this.onEnded('failure', err),
        }),
        repeat({ delay: () => this.reconnectAfter(drainReconnectDelayMs(this.advisedJitterMs, this.settings.drainReconnectJitterMs)) }),
        retry({
          delay: () =>
            this.reconnectAfter(
              backoffDelayMs(this.failuresSinceHealthy - 1, this.settings.reconnectBaseMs, this.settings.reconnectMaxMs),
              this.failuresSinceHealthy,
            ),
        }),
      )
      .subscribe();

    this.scheduler.start(() => this.createRequest());
    this.publisher.start(() => this.createPublish());
    this.ackTimer = setInterval(() => this.flushAck(), this.settings.ackIntervalMs);
  }

  /**
   * Stops creating work, waits up to `timeoutMs` for the outstanding results and publish
   * confirmations, then closes with 1000. Resolves with what is still outstanding.
   */
  async stop(timeoutMs: number): Promise<Outstanding> {
    this.scheduler.stop();
    this.publisher.stop();
    if (this.outbox.size + this.publishes.size > 0 && this.settings.dialect === 'json') {
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, timeoutMs);
        this.onOutboxEmpty = () => {
          clearTimeout(timeout);
          resolve();
        };
      });
    }
    this.flushAck();
    clearInterval(this.ackTimer);
    clearTimeout(this.streamRetry.timer);
    this.subscription?.unsubscribe();
    return this.outstanding;
  }

  private reconnectAfter(delayMs: number, attempt?: number): Observable<unknown> {
    const suffix = attempt === undefined ? '' : ` (attempt ${attempt})`;
    this.logger.log(`Reconnecting in ${delayMs} ms${suffix}...`);
    // No timer for a zero delay: even setTimeout(0) costs a turn of the event loop.
    return delayMs > 0 ? timer(delayMs) : of(0);
  }

  private onInbound(inbound: Inbound): void {
    switch (inbound.kind) {
      case 'open':
        this.link = {
          number: ++this.connectionCount,
          send: inbound.send,
          ready: false,
          draining: false,
          seq: new SeqTracker(this.stats, this.logger),
        };
        this.gaps.frame();
        if (this.settings.dialect === 'text') this.becameHealthy();
        return;
      case 'invalid':
        this.noteFrame();
        this.stats.invalidFrames++;
        this.logger.warn(`Ignored invalid frame from the server (${inbound.reason}): ${inbound.text.slice(0, 200)}`);
        return;
      case 'text':
        this.noteFrame();
        this.logFrame(`Received: ${inbound.text}`);
        if (inbound.meaning === 'shutdown') this.onShutdownNotice();
        if (inbound.meaning === 'close') this.logger.log('Server sent close signal');
        return;
      case 'message':
        this.noteFrame();
        this.logFrame(`Received: ${inbound.text}`);
        this.onMessage(inbound.message);
    }
  }

  private onMessage(message: ServerMessage): void {
    const link = this.link;
    if (!link) return;
    switch (message.type) {
      case 'hello':
        this.becameHealthy();
        return;
      case 'data':
        link.seq.accept(message.seq);
        return;
      case 'result':
        if (link.seq.accept(message.seq)) this.onResult(message.id);
        return;
      case 'subscribed':
        if (link.seq.accept(message.seq)) {
          this.streamRetry.attempt = 0;
          this.cursors.onSubscribed(message);
        }
        return;
      case 'message':
        if (link.seq.accept(message.seq)) this.cursors.onMessage(message);
        return;
      case 'published':
        if (link.seq.accept(message.seq)) this.onPublished(message.id, message.duplicate);
        return;
      case 'shutdown':
        this.advisedJitterMs = message.reconnectJitterMs;
        this.onShutdownNotice();
        return;
      case 'close':
        this.logger.log('Server sent close signal');
        this.sendAck(link, link.seq.closeMarker(message.lastSeq));
        return;
      case 'error':
        this.onRefused(message.code, message.message, message);
    }
  }

  /** DRAINING: sent again on the next connection. UNAVAILABLE: tried again after a backoff. */
  private onRefused(code: string, text: string, about: { id?: string; channel?: string }): void {
    const retryable = code === 'DRAINING' || code === 'UNAVAILABLE';
    if (retryable && about.id !== undefined && (this.outbox.requeue(about.id) || this.publishes.requeue(about.id))) {
      if (code === 'UNAVAILABLE') this.retryStreamsLater();
      return;
    }
    if (retryable && about.channel !== undefined) {
      // A channel refused with DRAINING is subscribed again on the next connection anyway.
      if (code === 'UNAVAILABLE') this.retryStreamsLater(about.channel);
      return;
    }
    if (code !== 'DUPLICATE_ID') this.logger.warn(`Server refused a frame: ${code} ${text}`);
  }

  private retryStreamsLater(channel?: string): void {
    const retry = this.streamRetry;
    if (channel !== undefined) retry.channels.add(channel);
    if (retry.timer !== undefined) return;
    const delayMs = backoffDelayMs(retry.attempt++, this.settings.reconnectBaseMs, this.settings.reconnectMaxMs);
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      const link = this.link;
      if (!link?.ready || link.draining) return;
      for (const name of retry.channels) link.send(this.cursors.subscribeFrame(name));
      retry.channels.clear();
      this.sendPending();
    }, delayMs);
  }

  private becameHealthy(): void {
    const link = this.link;
    if (!link) return;
    link.ready = true;
    this.failuresSinceHealthy = 0;
    this.gaps.healthy();
    // Every connection resumes every channel from where this client stands.
    if (this.settings.dialect === 'json') for (const channel of this.cursors.channels) link.send(this.cursors.subscribeFrame(channel));
    this.streamRetry.channels.clear();
    this.sendPending();
  }

  private onShutdownNotice(): void {
    if (this.link) this.link.draining = true;
    this.logger.log('Server is shutting down, processing remaining data...');
  }

  private onEnded(kind: EndKind, err?: Error): void {
    const link = this.link;
    this.link = undefined;
    if (kind === 'failure') {
      this.failuresSinceHealthy++;
      this.logger.warn(`Connection failed: ${err?.message ?? 'unknown error'}`);
    }
    this.gaps.ended(kind, link?.ready === true);
    this.logger.log('Connection closed, will reconnect...');
  }

  private noteFrame(): void {
    this.stats.framesReceived++;
    this.gaps.frame();
  }

  private onResult(id: string): void {
    const outcome = this.outbox.complete(id);
    if (outcome === 'completed') {
      this.stats.completed++;
      this.checkOutboxesEmpty();
      this.sendPending();
    } else if (outcome === 'duplicate') {
      this.stats.duplicates++;
    } else {
      this.stats.invalidFrames++;
      this.logger.warn(`Ignored a result for unknown request "${id.slice(0, 128)}"`);
    }
  }

  private onPublished(id: string, duplicate: boolean): void {
    const outcome = this.publishes.complete(id);
    const stream = this.stats.stream;
    this.streamRetry.attempt = 0;
    if (outcome === 'unknown') {
      this.stats.invalidFrames++;
      this.logger.warn(`Ignored a published for unknown publish "${id.slice(0, 128)}"`);
      return;
    }
    // Answered twice, or by a backend that had appended it before: either way appended once.
    if (outcome === 'duplicate' || duplicate) stream.publishDuplicates++;
    if (outcome === 'completed') {
      stream.publishAcked++;
      this.checkOutboxesEmpty();
    }
  }

  private checkOutboxesEmpty(): void {
    if (this.outbox.size === 0 && this.publishes.size === 0) this.onOutboxEmpty?.();
  }

  private createPublish(): void {
    const channel = this.settings.publishChannel!;
    const id = `${this.tag}-p${++this.publishCounter}`;
    const stream = this.stats.stream;
    if (!this.publishes.add(id, { channel, payload: { sentAt: Date.now(), n: this.publishCounter } })) {
      stream.publishRefused++;
      if (stream.publishRefused === 1 || stream.publishRefused % 100 === 0) {
        this.logger.warn(`Outbox full (${this.settings.outboxLimit} unconfirmed publishes): refused ${stream.publishRefused} so far`);
      }
      return;
    }
    stream.publishCreated++;
    this.sendPending();
  }

  private createRequest(): void {
    if (this.settings.dialect === 'text') {
      this.link?.send(`Client message: ${formatClock(new Date())}`);
      return;
    }
    const id = `${this.tag}-${++this.requestCounter}`;
    if (!this.outbox.add(id, { workMs: this.settings.workMs })) {
      this.stats.refused++;
      if (this.stats.refused === 1 || this.stats.refused % 100 === 0) {
        this.logger.warn(`Outbox full (${this.settings.outboxLimit} unanswered): refused ${this.stats.refused} requests so far`);
      }
      return;
    }
    this.stats.created++;
    this.sendPending();
  }

  private sendPending(): void {
    const link = this.link;
    if (!link?.ready || link.draining || this.settings.dialect === 'text') return;
    for (const request of this.outbox.unsentOn(link.number)) {
      if (request.everSent) this.stats.resent++;
      this.stats.sent++;
      this.outbox.markSent(request, link.number);
      link.send(JSON.stringify({ type: 'request', id: request.id, payload: request.body }));
    }
    for (const publish of this.publishes.unsentOn(link.number)) {
      this.publishes.markSent(publish, link.number);
      link.send(JSON.stringify({ type: 'publish', id: publish.id, ...publish.body }));
    }
  }

  private flushAck(): void {
    const seq = this.link?.seq.nextAck();
    if (this.link && seq !== undefined) this.sendAck(this.link, seq);
  }

  private sendAck(link: Link, seq: number): void {
    link.send(JSON.stringify({ type: 'ack', seq }));
  }

  private logFrame(line: string, level = this.frameLogLevel): void {
    if (level === 'log') this.logger.log(line);
    else this.logger.debug?.(line);
  }
}
