import { formatClock, loggable, type ServerMessage } from '@app/protocol';
import type { LoggerService } from '@nestjs/common';
import { defer, of, repeat, retry, tap, timer, type Observable, type Subscription } from 'rxjs';
import type { ClientSettings } from '../config/client.config.js';
import { backoffDelayMs, drainReconnectDelayMs } from '../connection/backoff.js';
import { connect$, type Inbound } from '../connection/connection.js';
import { Outbox } from '../outbox/outbox.js';
import { ClientStats, type Outstanding } from '../stats/client-stats.js';
import { ClientStreams } from '../streams/client-streams.js';
import { ReconnectGapMeter, type EndKind } from './reconnect-gap.js';
import { WorkScheduler } from './work-scheduler.js';
import { SeqTracker } from './seq-tracker.js';

/** A drain this soon after `hello` counts towards the reconnect backoff. */
const QUICK_DRAIN_MS = 1000;

/** The connection currently in use. */
interface Link {
  number: number;
  send: (text: string) => void;
  /** Healthy: `hello` received (text dialect: open). Requests are sent only then. */
  ready: boolean;
  /** When it became healthy (performance.now()). */
  healthyAt: number | undefined;
  /** The server sent its drain notice: send nothing new on this link. */
  draining: boolean;
  seq: SeqTracker;
}

/**
 * One simulated client: an RxJS pipeline that keeps a connection up, an outbox that keeps its
 * requests until answered, its shared channels (`ClientStreams`), and the counters that prove
 * nothing was lost.
 */
export class VirtualClient {
  readonly stats = new ClientStats();
  private readonly outbox = new Outbox<{ workMs: number }>(this.settings.outboxLimit);
  private readonly scheduler = new WorkScheduler(this.settings.requestIntervalMs);
  private readonly gaps = new ReconnectGapMeter(this.stats);
  private readonly streams = new ClientStreams(
    this.tag,
    this.settings,
    this.stats.stream,
    this.logger,
    () => (this.link?.ready && !this.link.draining ? this.link : undefined),
    () => this.checkOutboxesEmpty(),
  );
  private link: Link | undefined;
  private connectionCount = 0;
  /** Connections ended in a row without one being stable (healthy for `stableConnectionMs`). */
  private unstableEnds = 0;
  /** The wait before the next connection; `attempt` is logged after failures. */
  private nextDelay: { ms: number; attempt?: number } = { ms: 0 };
  /**
   * When to reconnect after the current drain: a random moment within the window the server
   * advised, counted from its notice, so the drain's own time is part of the spread.
   */
  private drainReconnectAt: number | undefined;
  private requestCounter = 0;
  private subscription: Subscription | undefined;
  private onOutboxEmpty: (() => void) | undefined;

  constructor(
    private readonly tag: string,
    private readonly settings: ClientSettings,
    private readonly logger: LoggerService,
    /** Per-frame lines at `log` level (a single client, as the original) or `debug` (a fleet). */
    private readonly frameLogLevel: 'log' | 'debug',
  ) {}

  get outstanding(): Outstanding {
    return { requests: this.outbox.size, publishes: this.streams.outstanding };
  }

  get connected(): boolean {
    return this.link?.ready === true;
  }

  start(): void {
    const { serverUrl, dialect, heartbeatMs, maxPayloadBytes, helloTimeoutMs, authToken } = this.settings;
    this.subscription = defer(() => {
      this.logger.log(`Connecting to ${serverUrl}`);
      return connect$({
        url: serverUrl,
        dialect,
        heartbeatMs,
        maxPayloadBytes,
        helloTimeoutMs,
        authToken,
        onSocketClosed: (code, reason) => this.logFrame(`Socket closed with ${code} ${reason}`.trimEnd(), 'debug'),
      });
    })
      .pipe(
        tap({
          next: (inbound) => this.onInbound(inbound),
          complete: () => this.onEnded('drain'),
          error: (err: Error) => this.onEnded('failure', err),
        }),
        // Both ends (drain marker, failure) wait as `onEnded` decided.
        repeat({ delay: () => this.reconnectAfter() }),
        retry({ delay: () => this.reconnectAfter() }),
      )
      .subscribe();

    this.scheduler.start(() => this.createRequest());
    this.streams.start();
  }

  /**
   * Stops creating work, waits up to `timeoutMs` for the outstanding results and publish
   * confirmations, then closes with 1000. Resolves with what is still outstanding.
   */
  async stop(timeoutMs: number): Promise<Outstanding> {
    this.scheduler.stop();
    this.streams.stopPublishing();
    if (this.outbox.size + this.streams.outstanding > 0 && this.settings.dialect === 'json') {
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, timeoutMs);
        this.onOutboxEmpty = () => {
          clearTimeout(timeout);
          resolve();
        };
      });
    }
    this.streams.close();
    this.flushAck();
    this.subscription?.unsubscribe();
    return this.outstanding;
  }

  private reconnectAfter(): Observable<unknown> {
    const { ms: delayMs, attempt } = this.nextDelay;
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
          healthyAt: undefined,
          draining: false,
          seq: new SeqTracker(this.stats, this.logger),
        };
        this.gaps.frame();
        if (this.settings.dialect === 'text') this.becameHealthy();
        return;
      case 'invalid':
        this.noteFrame();
        this.stats.invalidFrames++;
        this.logger.warn(`Ignored invalid frame from the server (${loggable(inbound.reason)}): ${loggable(inbound.text)}`);
        return;
      case 'text':
        this.noteFrame();
        this.logFrame(`Received: ${loggable(inbound.text)}`);
        if (inbound.meaning === 'shutdown') this.onShutdownNotice();
        if (inbound.meaning === 'close') this.logger.log('Server sent close signal');
        return;
      case 'message':
        this.noteFrame();
        this.logFrame(`Received: ${loggable(inbound.text)}`);
        this.onMessage(inbound.message);
    }
  }

  private onMessage(message: ServerMessage): void {
    const link = this.link;
    if (!link) return;
    switch (message.type) {
      case 'hello':
        this.becameHealthy(message.serverId);
        return;
      case 'data':
        link.seq.accept(message.seq);
        return;
      case 'result':
        if (link.seq.accept(message.seq)) this.onResult(message.id);
        return;
      case 'subscribed':
        if (link.seq.accept(message.seq)) this.streams.onSubscribed(message);
        return;
      case 'message':
        if (link.seq.accept(message.seq)) this.streams.onMessage(message);
        return;
      case 'feed':
        if (link.seq.accept(message.seq)) this.streams.onFeed(message);
        return;
      case 'published':
        if (link.seq.accept(message.seq) && this.streams.onPublished(message) === 'unknown') {
          this.stats.invalidFrames++;
          this.logger.warn(`Ignored a published for unknown publish "${message.id.slice(0, 128)}"`);
        }
        return;
      case 'shutdown':
        this.drainReconnectAt = performance.now() + drainReconnectDelayMs(message.reconnectJitterMs, this.settings.drainReconnectJitterMs);
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

  /**
   * DRAINING: sent again on the next connection. TOO_MANY_IN_FLIGHT: sent again after the next
   * answer. UNAVAILABLE (streams): tried again after a backoff.
   */
  private onRefused(code: string, text: string, about: { id?: string; channel?: string }): void {
    const notTaken = code === 'DRAINING' || code === 'TOO_MANY_IN_FLIGHT';
    if (notTaken && about.id !== undefined && this.outbox.requeue(about.id)) return;
    if ((notTaken || code === 'UNAVAILABLE') && this.streams.onRefused(code, about)) return;
    if (code !== 'DUPLICATE_ID') this.logger.warn(`Server refused a frame: ${code} ${loggable(text)}`);
  }

  /** `serverId`: the server's own name for itself, from `hello` (the text dialect has none). */
  private becameHealthy(serverId?: string): void {
    const link = this.link;
    if (!link) return;
    link.ready = true;
    link.healthyAt = performance.now();
    this.gaps.healthy(serverId);
    if (this.settings.dialect === 'json') this.streams.resume(link);
    this.sendPending();
  }

  private onShutdownNotice(): void {
    if (this.link) this.link.draining = true;
    this.logger.log('Server is shutting down, processing remaining data...');
  }

  private onEnded(kind: EndKind, err?: Error): void {
    const link = this.link;
    this.link = undefined;
    // Backoff grows with every connection that ends too soon, failed or drained, so a server that
    // says hello (or sends a drain marker) and drops every connection gets no retry loop.
    const healthyForMs = link?.healthyAt === undefined ? 0 : performance.now() - link.healthyAt;
    const { reconnectBaseMs, reconnectMaxMs } = this.settings;
    if (kind === 'failure') {
      const stable = healthyForMs >= this.settings.stableConnectionMs;
      this.unstableEnds = stable ? 1 : this.unstableEnds + 1;
      this.nextDelay = { ms: backoffDelayMs(this.unstableEnds - 1, reconnectBaseMs, reconnectMaxMs), attempt: this.unstableEnds };
      this.logger.warn(`Connection failed: ${err?.message ?? 'unknown error'}`);
    } else {
      // A drain is the server's design, not a fault: a rolling update may move a client several
      // times in seconds, at no cost. Only a drain marker within a second of hello, twice in a
      // row, is taken for a server that drains every connection it gets.
      this.unstableEnds = healthyForMs >= QUICK_DRAIN_MS ? 0 : this.unstableEnds + 1;
      const jitterMs = Math.max(0, Math.round((this.drainReconnectAt ?? 0) - performance.now()));
      this.drainReconnectAt = undefined;
      const backoffMs = this.unstableEnds < 2 ? 0 : backoffDelayMs(this.unstableEnds - 2, reconnectBaseMs, reconnectMaxMs);
      this.nextDelay = { ms: Math.max(jitterMs, backoffMs) };
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

  private checkOutboxesEmpty(): void {
    if (this.outbox.size === 0 && this.streams.outstanding === 0) this.onOutboxEmpty?.();
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
    this.streams.sendPending(link);
  }

  /** Acks what arrived since the last ack; the fleet calls it every `ACK_INTERVAL_MS`. */
  flushAck(): void {
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
