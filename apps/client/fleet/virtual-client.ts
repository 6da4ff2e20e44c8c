import { formatClock, type ServerMessage } from '@app/protocol';
import type { LoggerService } from '@nestjs/common';
import { defer, of, repeat, retry, tap, timer, type Observable, type Subscription } from 'rxjs';
import type { ClientSettings } from '../config/client.config.js';
import { backoffDelayMs, drainReconnectDelayMs } from '../connection/backoff.js';
import { connect$, type Inbound } from '../connection/connection.js';
import { Outbox } from '../outbox/outbox.js';
import { ClientStats } from '../stats/client-stats.js';

/** The connection currently in use. */
interface Link {
  number: number;
  send: (text: string) => void;
  /** Healthy: `hello` received (text dialect: open). Requests are sent only then. */
  ready: boolean;
  /** The server sent its drain notice: send nothing new on this link. */
  draining: boolean;
  /** Per-connection sequence state. */
  receivedSeq: number;
  ackedSeq: number;
  lastFrameAt: number;
}

/** How the previous connection ended, for the reconnect gap. */
interface PreviousEnd {
  kind: 'drain' | 'failure';
  lastFrameAt: number;
}

/**
 * One simulated client: an RxJS pipeline that keeps a connection up, an outbox that keeps its
 * requests until answered, and the counters that prove nothing was lost.
 */
export class VirtualClient {
  readonly stats = new ClientStats();
  private readonly outbox: Outbox;
  private link: Link | undefined;
  private connectionCount = 0;
  private failuresSinceHealthy = 0;
  private previousEnd: PreviousEnd | undefined;
  private advisedJitterMs = 0;
  private requestCounter = 0;
  private creating = true;
  private subscription: Subscription | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private onOutboxEmpty: (() => void) | undefined;

  constructor(
    private readonly tag: string,
    private readonly settings: ClientSettings,
    private readonly logger: LoggerService,
    /** Per-frame lines at `log` level (a single client, as the original) or `debug` (a fleet). */
    private readonly frameLogLevel: 'log' | 'debug',
  ) {
    this.outbox = new Outbox(settings.outboxLimit);
  }

  get outstanding(): number {
    return this.outbox.size;
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

    const { requestIntervalMs, ackIntervalMs } = this.settings;
    if (requestIntervalMs > 0) {
      // A random phase, so a fleet started together does not send in lockstep.
      this.requestTimer = setTimeout(() => {
        this.createRequest();
        this.requestTimer = setInterval(() => this.createRequest(), requestIntervalMs);
      }, Math.random() * requestIntervalMs);
    }
    this.ackTimer = setInterval(() => this.flushAck(), ackIntervalMs);
  }

  /**
   * Stops creating work, waits up to `timeoutMs` for the outstanding results, then closes with
   * 1000. Resolves with the number still outstanding.
   */
  async stop(timeoutMs: number): Promise<number> {
    this.creating = false;
    clearTimeout(this.requestTimer);
    clearInterval(this.requestTimer);
    if (this.outbox.size > 0 && this.settings.dialect === 'json') {
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
    this.subscription?.unsubscribe();
    return this.outbox.size;
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
          receivedSeq: 0,
          ackedSeq: 0,
          lastFrameAt: performance.now(),
        };
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
        this.checkSeq(link, message.seq);
        return;
      case 'result':
        if (this.checkSeq(link, message.seq)) this.onResult(message.id);
        return;
      case 'shutdown':
        this.advisedJitterMs = message.reconnectJitterMs;
        this.onShutdownNotice();
        return;
      case 'close':
        this.logger.log('Server sent close signal');
        if (message.lastSeq > link.receivedSeq) this.countGap(link, message.lastSeq);
        link.receivedSeq = Math.max(link.receivedSeq, message.lastSeq);
        this.sendAck(link);
        return;
      case 'error':
        if (message.code === 'DRAINING' && message.id !== undefined) {
          this.outbox.requeue(message.id);
        } else if (message.code !== 'DUPLICATE_ID') {
          this.logger.warn(`Server refused a frame: ${message.code} ${message.message}`);
        }
    }
  }

  private becameHealthy(): void {
    const link = this.link;
    if (!link) return;
    link.ready = true;
    this.failuresSinceHealthy = 0;
    this.stats.connections++;
    if (this.previousEnd) {
      this.stats.reconnects++;
      const gapMs = Math.round(performance.now() - this.previousEnd.lastFrameAt);
      (this.previousEnd.kind === 'drain' ? this.stats.gapsAfterDrainMs : this.stats.gapsAfterFailureMs).push(gapMs);
    }
    this.sendPending();
  }

  private onShutdownNotice(): void {
    if (this.link) this.link.draining = true;
    this.logger.log('Server is shutting down, processing remaining data...');
  }

  private onEnded(kind: PreviousEnd['kind'], err?: Error): void {
    const link = this.link;
    this.link = undefined;
    if (kind === 'failure') {
      this.failuresSinceHealthy++;
      this.logger.warn(`Connection failed: ${err?.message ?? 'unknown error'}`);
    }
    // The gap is caused by how the last healthy connection ended; failed attempts in between
    // are part of the gap, not a new one.
    if (link?.ready) this.previousEnd = { kind, lastFrameAt: link.lastFrameAt };
    this.logger.log('Connection closed, will reconnect...');
  }

  private noteFrame(): void {
    this.stats.framesReceived++;
    if (this.link) this.link.lastFrameAt = performance.now();
  }

  /** True when the frame continues the sequence (or skips ahead, counting the gap). */
  private checkSeq(link: Link, seq: number): boolean {
    if (seq <= link.receivedSeq) {
      this.stats.invalidFrames++;
      this.logger.warn(`Ignored a frame whose seq ${seq} went backwards (last was ${link.receivedSeq})`);
      return false;
    }
    if (seq > link.receivedSeq + 1) this.countGap(link, seq - 1);
    link.receivedSeq = seq;
    return true;
  }

  private countGap(link: Link, upTo: number): void {
    const missing = upTo - link.receivedSeq;
    this.stats.seqGaps += missing;
    this.logger.warn(`Lost ${missing} frames: seq ${link.receivedSeq + 1} to ${upTo} never arrived`);
  }

  private onResult(id: string): void {
    const outcome = this.outbox.complete(id);
    if (outcome === 'completed') {
      this.stats.completed++;
      if (this.outbox.size === 0) this.onOutboxEmpty?.();
      this.sendPending();
    } else if (outcome === 'duplicate') {
      this.stats.duplicates++;
    } else {
      this.stats.invalidFrames++;
      this.logger.warn(`Ignored a result for unknown request "${id.slice(0, 128)}"`);
    }
  }

  private createRequest(): void {
    if (!this.creating) return;
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
      link.send(JSON.stringify({ type: 'request', id: request.id, payload: request.payload }));
    }
  }

  private flushAck(): void {
    if (this.link && this.link.receivedSeq > this.link.ackedSeq) this.sendAck(this.link);
  }

  private sendAck(link: Link): void {
    link.ackedSeq = link.receivedSeq;
    link.send(JSON.stringify({ type: 'ack', seq: link.receivedSeq }));
  }

  private logFrame(line: string, level = this.frameLogLevel): void {
    if (level === 'log') this.logger.log(line);
    else this.logger.debug?.(line);
  }
}
