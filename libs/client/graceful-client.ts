import { CHANNEL_PATTERN, ErrorCode, type ErrorMessage, type ServerMessage } from '@app/protocol';
import {
  BehaviorSubject,
  Observable,
  Subject,
  defer,
  from,
  merge,
  of,
  repeat,
  retry,
  switchMap,
  take,
  tap,
  timer,
  type Subscription,
} from 'rxjs';
import { everyAckPeriod } from './ack-ticker.js';
import { backoffDelayMs, drainReconnectDelayMs } from './backoff.js';
import { ChannelCursors } from './channel-cursors.js';
import type { ChannelEvent, ClientEvent, ClientState, WorkKind } from './events.js';
import { Outbox, type PendingWork } from './outbox.js';
import { ReconnectPolicy, type ReconnectDelay } from './reconnect-policy.js';
import { SeqTracker } from './seq-tracker.js';
import type { ClientStorage, StoredState } from './storage.js';
import { ConnectionLostError, connect$, globalSocketFactory, type Inbound, type SocketFactory } from './transport.js';
import { browserWakeSignals } from './wake-signals.js';

/** Returns the access token for the next connection. `refresh`: the last one was refused (or, in a browser, failed before it opened). */
export type TokenProvider = (context: { refresh: boolean }) => string | undefined | Promise<string | undefined>;

export interface GracefulClientOptions {
  /** `ws://host/ws` or `wss://…`. */
  url: string;
  /**
   * `json` (default: offers `graceful.v2`, then `graceful.v1` for servers built before it) or
   * `text`: the original program's line dialect (no acks, work or channels).
   */
  dialect?: 'json' | 'text';
  /** Opens sockets; default: the global `WebSocket`. */
  createSocket?: SocketFactory;
  token?: TokenProvider;
  /** Keeps channel cursors and unanswered work across restarts (`WebStorage` in a page); default: nothing kept. */
  storage?: ClientStorage;
  /** Heartbeat assumed until `hello` announces the server's (default 25 000). */
  heartbeatMs?: number;
  /** Default 10 000. */
  helloTimeoutMs?: number;
  /** Largest frame taken from the server (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Backoff after failures: full jitter under `base × 2^n`, capped (defaults 100 and 10 000). */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** Healthy this long, a connection resets the backoff (default 10 000). */
  stableConnectionMs?: number;
  /** Cap of the reconnect window a drain notice advises (default 5 000). */
  drainReconnectJitterMs?: number;
  /** Cap of the backoff for work and channels refused `UNAVAILABLE` (default 1 000). */
  streamRetryMaxMs?: number;
  /** Unanswered requests kept, and unconfirmed publishes kept, each (default 1 000). */
  outboxLimit?: number;
  /** Unanswered requests and publishes sent on one connection (default 100; a server's `hello` may lower it). */
  maxInFlight?: number;
  /** How often what arrived is acked (default 100). */
  ackIntervalMs?: number;
  /** Reconnect at once when a page sees the network come back or becomes visible (default: on in browsers). */
  wakeSignals?: Observable<string>;
  /** Prefix of the ids this client makes (default: random, so ids never repeat across reloads). */
  idPrefix?: string;
}

/** Why a `request` or `publish` promise was rejected: a server's error code, `OUTBOX_FULL`, or `CLOSED`. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A publish confirmed: its place in the channel; `duplicate` when the server had appended it before. */
export interface Published {
  channel: string;
  offset: number;
  duplicate: boolean;
}

type RequestBody = { payload: Record<string, unknown> };
type PublishBody = { channel: string; payload: Record<string, unknown> };
interface Settle {
  resolve: (value: never) => void;
  reject: (reason: RefusedError) => void;
}

/** A channel followed: its observers share one subject. */
interface Followed {
  subject: Subject<ChannelEvent>;
  observers: number;
}

/** The connection in use. */
interface Link {
  number: number;
  send: (text: string) => void;
  /** `hello` received (text dialect: open): work is sent only then. */
  ready: boolean;
  healthyAt: number | undefined;
  serverId: string;
  /** The server sent its drain notice: send nothing new here. */
  draining: boolean;
  maxInFlight: number;
  seq: SeqTracker;
}

/** Not taken by the server: sent again, on this connection after a wait or on the next. */
const NOT_TAKEN = new Set<string>([ErrorCode.DRAINING, ErrorCode.TOO_MANY_IN_FLIGHT, ErrorCode.UNAVAILABLE]);

/**
 * A client of the `graceful.v2` protocol (and of `graceful.v1` servers) that loses nothing
 * across drains, failures and restarts: it keeps a connection up (backoff with full jitter, the
 * window a drain notice advises), acks what arrives, keeps every request and publish until
 * answered and sends it again with its id on the next connection, and resumes every channel
 * from its cursor.
 */
export class GracefulClient {
  private readonly options: Required<Omit<GracefulClientOptions, 'token' | 'storage' | 'wakeSignals'>> &
    Pick<GracefulClientOptions, 'token' | 'storage'>;
  private readonly state = new BehaviorSubject<ClientState>({ state: 'closed', reason: 'not connected yet' });
  private readonly events = new Subject<ClientEvent>();
  /** Current state, then every change. */
  readonly state$: Observable<ClientState> = this.state.asObservable();
  /** Every fact as it happens (see `ClientEvent`). */
  readonly events$: Observable<ClientEvent> = this.events.asObservable();

  private readonly requests: Outbox<RequestBody>;
  private readonly publishes: Outbox<PublishBody>;
  private readonly settles = new Map<string, Settle>();
  private readonly cursors = new ChannelCursors((event) => this.onChannelEvent(event));
  // Created on first use, as the retry set and the idle waiters: a load generator runs thousands of clients.
  private channelSubjects: Map<string, Followed> | undefined;
  private readonly policy: ReconnectPolicy;
  private readonly wake$: Observable<string>;
  private readonly stored: StoredState | undefined;
  private link: Link | undefined;
  private connectionCount = 0;
  private nextDelay: ReconnectDelay & { reason: string } = { delayMs: 0, attempt: undefined, reason: '' };
  /** When to reconnect after the current drain (from its notice). */
  private drainReconnectAt: number | undefined;
  private refreshToken = false;
  private idCounter = 0;
  private loop: Subscription | undefined;
  private stopAcks: (() => void) | undefined;
  /** Work and channels refused UNAVAILABLE wait for this timer. */
  private readonly retry: { timer: ReturnType<typeof setTimeout> | undefined; attempt: number; channels: Set<string> | undefined } = {
    timer: undefined,
    attempt: 0,
    channels: undefined,
  };
  private persistQueued = false;
  private idleWaiters: Set<() => void> | undefined;

  constructor(options: GracefulClientOptions) {
    this.options = {
      dialect: 'json',
      createSocket: globalSocketFactory,
      heartbeatMs: 25_000,
      helloTimeoutMs: 10_000,
      maxPayloadBytes: 1024 * 1024,
      reconnectBaseMs: 100,
      reconnectMaxMs: 10_000,
      stableConnectionMs: 10_000,
      drainReconnectJitterMs: 5000,
      streamRetryMaxMs: 1000,
      outboxLimit: 1000,
      maxInFlight: 100,
      ackIntervalMs: 100,
      idPrefix: randomPrefix(),
      ...options,
    };
    this.wake$ = options.wakeSignals ?? browserWakeSignals();
    this.policy = new ReconnectPolicy(this.options);
    this.stored = this.options.storage?.load();
    const stored = this.stored?.work ?? [];
    // Work stored by a page with a larger outbox is all taken back: none of it is dropped.
    const room = (kind: WorkKind): number => Math.max(this.options.outboxLimit, stored.filter((work) => work.kind === kind).length);
    this.requests = new Outbox(room('request'));
    this.publishes = new Outbox(room('publish'));
    for (const work of stored) {
      if (work.kind === 'request') this.requests.add(work.id, { payload: work.payload });
      else this.publishes.add(work.id, { channel: work.channel, payload: work.payload });
    }
  }

  /** Unanswered work, including what a stored state brought back. */
  get outstanding(): { requests: number; publishes: number } {
    return { requests: this.requests.size, publishes: this.publishes.size };
  }

  /** True when `request` (or `publish`) would be refused `OUTBOX_FULL` now. */
  isFull(kind: WorkKind): boolean {
    return this.outboxOf(kind).full;
  }

  /** Starts connecting (and reconnecting, until `close`). */
  connect(): void {
    if (this.loop) return;
    this.loop = defer(() => this.openConnection())
      .pipe(
        tap({
          next: (inbound) => this.onInbound(inbound),
          complete: () => this.onEnded(),
          error: (err: Error) => this.onEnded(err),
        }),
        repeat({ delay: () => this.waitToReconnect() }),
        retry({ delay: () => this.waitToReconnect() }),
      )
      .subscribe();
    this.stopAcks = everyAckPeriod(this.options.ackIntervalMs, () => this.flushAck());
  }

  /**
   * Sends a request; resolves with its result's payload, once, whichever connection it arrives
   * on. Rejects with `RefusedError`: `OUTBOX_FULL`, a refusal for good (`BAD_MESSAGE`, …), or
   * `CLOSED` (closed first: it may or may not have been done; with a storage, the next client
   * that loads it sends it again).
   */
  request(payload: Record<string, unknown>, options: { id?: string } = {}): Promise<Record<string, unknown>> {
    return this.addWork('request', options.id, { payload });
  }

  /** Appends `payload` to `channel`, once (the id makes a re-send harmless); rejects as `request`. */
  publish(channel: string, payload: Record<string, unknown>, options: { id?: string } = {}): Promise<Published> {
    if (!CHANNEL_PATTERN.test(channel))
      return Promise.reject(new RefusedError(ErrorCode.BAD_MESSAGE, `channel must match ${CHANNEL_PATTERN.source}`));
    return this.addWork('publish', options.id, { channel, payload });
  }

  /**
   * A channel's entries, once each and in order, across reconnects, with the facts about it
   * (`subscribed`, `loss`, `feed`, …). The first observer subscribes, the last one leaving unsubscribes.
   */
  channel(name: string): Observable<ChannelEvent> {
    if (!CHANNEL_PATTERN.test(name)) throw new RangeError(`channel must match ${CHANNEL_PATTERN.source}`);
    return new Observable<ChannelEvent>((subscriber) => {
      const subjects = (this.channelSubjects ??= new Map<string, Followed>());
      let entry = subjects.get(name);
      if (!entry) subjects.set(name, (entry = { subject: new Subject<ChannelEvent>(), observers: 0 }));
      const subscription = entry.subject.subscribe(subscriber);
      if (++entry.observers === 1) {
        this.cursors.follow(name, this.stored?.cursors[name]);
        this.usableLink()?.send(this.cursors.subscribeFrame(name));
      }
      const followed = entry;
      return () => {
        subscription.unsubscribe();
        if (--followed.observers > 0) return;
        subjects.delete(name);
        this.cursors.unfollow(name);
        if (this.stored) delete this.stored.cursors[name];
        this.usableLink()?.send(JSON.stringify({ type: 'unsubscribe', channel: name }));
        this.persist();
      };
    });
  }

  /** The text dialect: sends a line on the open connection (dropped while there is none). */
  sendText(line: string): void {
    this.link?.send(line);
  }

  /** Resolves when no work is outstanding, or after `timeoutMs`; with what is still outstanding. */
  async whenIdle(timeoutMs: number): Promise<{ requests: number; publishes: number }> {
    if (this.requests.size + this.publishes.size > 0) {
      const waiters = (this.idleWaiters ??= new Set<() => void>());
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timeout);
          waiters.delete(done);
          resolve();
        };
        const timeout = setTimeout(done, timeoutMs);
        waiters.add(done);
      });
    }
    return this.outstanding;
  }

  /** Acks what arrived, closes with 1000, and stops; unanswered work is rejected `CLOSED` (and stays in the storage). */
  close(): void {
    if (this.state.value.state === 'closed' && !this.loop) return;
    clearTimeout(this.retry.timer);
    this.flushAck();
    this.loop?.unsubscribe();
    this.loop = undefined;
    this.link = undefined;
    this.stopAcks?.();
    for (const [id, settle] of this.settles) settle.reject(new RefusedError('CLOSED', `closed before an answer to ${id}`));
    this.settles.clear();
    this.setState({ state: 'closed', reason: 'closed by the application' });
    this.emit({ type: 'closed' });
  }

  private addWork<T>(kind: WorkKind, id: string | undefined, body: RequestBody | PublishBody): Promise<T> {
    if (this.options.dialect === 'text')
      return Promise.reject(new RefusedError('TEXT_DIALECT', 'the text dialect has no requests, publishes or channels'));
    const outbox = this.outboxOf(kind);
    const workId = id ?? `${this.options.idPrefix}-${kind === 'publish' ? 'p' : ''}${++this.idCounter}`;
    if (outbox.full) return Promise.reject(new RefusedError('OUTBOX_FULL', `${this.options.outboxLimit} ${kind}s are unanswered`));
    if (!outbox.add(workId, body)) return Promise.reject(new RefusedError(ErrorCode.DUPLICATE_ID, `${workId} is unanswered already`));
    const promise = new Promise<T>((resolve, reject) => this.settles.set(workId, { resolve: resolve, reject }));
    this.persist();
    const link = this.usableLink();
    if (link) this.sendPending(link);
    return promise;
  }

  private openConnection(): Observable<Inbound> {
    const { url, dialect, createSocket, heartbeatMs, maxPayloadBytes, helloTimeoutMs, token } = this.options;
    this.setState({ state: 'connecting', attempt: this.nextDelay.attempt ?? 0 });
    this.emit({ type: 'connecting', url });
    const open = (accessToken: string | undefined): Observable<Inbound> =>
      connect$({
        url,
        dialect,
        createSocket,
        token: accessToken,
        heartbeatMs,
        maxPayloadBytes,
        helloTimeoutMs,
        onSocketClosed: (code, reason) => this.emit({ type: 'socket-closed', code, reason }),
      });
    if (!token) return open(undefined);
    const refresh = this.refreshToken;
    return from(Promise.resolve(token({ refresh }))).pipe(switchMap(open));
  }

  private waitToReconnect(): Observable<unknown> {
    const { delayMs, attempt, reason } = this.nextDelay;
    this.emit({ type: 'reconnect-scheduled', delayMs, attempt });
    this.setState({ state: 'waiting-to-reconnect', delayMs, reason });
    // No timer for a zero delay: even setTimeout(0) costs a turn of the event loop.
    return delayMs > 0 ? merge(timer(delayMs), this.wake$).pipe(take(1)) : of(0);
  }

  private onInbound(inbound: Inbound): void {
    switch (inbound.kind) {
      case 'open':
        this.link = {
          number: ++this.connectionCount,
          send: inbound.send,
          ready: false,
          healthyAt: undefined,
          serverId: '',
          draining: false,
          maxInFlight: this.options.maxInFlight,
          seq: new SeqTracker((event) => this.emit(event)),
        };
        this.emit({ type: 'socket-open' });
        if (this.options.dialect === 'text') this.becameHealthy(undefined);
        return;
      case 'invalid':
        this.emit({ type: 'invalid-frame', text: inbound.text, reason: inbound.reason });
        return;
      case 'text':
        this.emit({ type: 'frame', text: inbound.text });
        if (inbound.meaning === 'shutdown') this.onDrainNotice('the server is shutting down', 0);
        if (inbound.meaning === 'close') this.emit({ type: 'drain-marker', lastSeq: 0 });
        return;
      case 'message':
        this.emit({ type: 'frame', text: inbound.text });
        this.onMessage(inbound.message);
    }
  }

  private onMessage(message: ServerMessage): void {
    const link = this.link;
    if (!link) return;
    switch (message.type) {
      case 'hello':
        if (message.maxInFlight !== undefined) link.maxInFlight = Math.min(link.maxInFlight, message.maxInFlight);
        this.becameHealthy(message.serverId);
        return;
      case 'pong':
        return;
      case 'data':
        link.seq.accept(message.seq);
        return;
      case 'result':
        if (link.seq.accept(message.seq)) this.onAnswer('request', message.id, message.payload);
        return;
      case 'published':
        if (link.seq.accept(message.seq)) {
          const { channel, offset, duplicate } = message;
          this.onAnswer('publish', message.id, { channel, offset, duplicate }, duplicate);
        }
        return;
      case 'subscribed':
        if (link.seq.accept(message.seq) && this.cursors.onSubscribed(message)) this.retry.attempt = 0;
        return;
      case 'message':
        // `graceful.v2` channel messages have no seq: offsets order them, and the marker closes them.
        if (message.seq === undefined || link.seq.accept(message.seq)) this.cursors.onMessage(message);
        return;
      case 'feed':
        if (link.seq.accept(message.seq)) this.cursors.onFeed(message);
        return;
      case 'shutdown':
        this.onDrainNotice(message.reason, drainReconnectDelayMs(message.reconnectJitterMs, this.options.drainReconnectJitterMs));
        return;
      case 'close':
        this.emit({ type: 'drain-marker', lastSeq: message.lastSeq });
        // The server waits for exactly this ack before it closes: at once, not at the next tick.
        this.sendAck(link, link.seq.closeMarker(message.lastSeq));
        if (message.channels) this.cursors.onDrainMarker(message.channels);
        return;
      case 'error':
        this.onError(message);
    }
  }

  private onDrainNotice(reason: string, reconnectInMs: number): void {
    const link = this.link;
    if (!link) return;
    link.draining = true;
    this.drainReconnectAt = performance.now() + reconnectInMs;
    this.setState({ state: 'draining', serverId: link.serverId, reason });
    this.emit({ type: 'drain-notice', reconnectInMs });
  }

  private onAnswer(kind: WorkKind, id: string, value: unknown, appendedBefore?: boolean): void {
    const outcome = this.outboxOf(kind).complete(id);
    this.emit(
      appendedBefore === undefined ? { type: 'answered', kind, id, outcome } : { type: 'answered', kind, id, outcome, appendedBefore },
    );
    if (outcome !== 'completed') return;
    if (kind === 'publish') this.retry.attempt = 0;
    this.settle(id)?.resolve(value as never);
    this.workLeft();
    const link = this.usableLink();
    if (link) this.sendPending(link);
  }

  /**
   * DRAINING: sent again on the next connection. TOO_MANY_IN_FLIGHT, UNAVAILABLE: sent again
   * after a backoff. DUPLICATE_ID: the copy in flight will be answered. Anything else about our
   * work or channel is a refusal for good.
   */
  private onError({ code, message, id, channel }: ErrorMessage): void {
    const outbox =
      id === undefined ? undefined : this.requests.get(id) ? this.requests : this.publishes.get(id) ? this.publishes : undefined;
    if (id !== undefined && outbox) {
      if (code === ErrorCode.DUPLICATE_ID) return;
      if (NOT_TAKEN.has(code)) {
        outbox.requeue(id);
        if (code !== ErrorCode.DRAINING) this.retryLater(undefined);
        return;
      }
      outbox.remove(id);
      this.settle(id)?.reject(new RefusedError(code, message));
      this.emit({ type: 'refused', code, message, id });
      this.workLeft();
      return;
    }
    if (channel !== undefined && this.cursors.follows(channel)) {
      if (code === ErrorCode.DRAINING) return;
      if (NOT_TAKEN.has(code)) return this.retryLater(channel);
      this.channelSubjects?.get(channel)?.subject.next({ type: 'refused', channel, code, message });
    }
    this.emit({ type: 'refused', code, message, ...(id === undefined ? {} : { id }), ...(channel === undefined ? {} : { channel }) });
  }

  private becameHealthy(serverId: string | undefined): void {
    const link = this.link;
    if (!link) return;
    link.ready = true;
    link.healthyAt = performance.now();
    link.serverId = serverId ?? '';
    this.refreshToken = false;
    this.emit({ type: 'healthy', serverId });
    this.setState({ state: 'open', serverId: link.serverId });
    if (this.options.dialect === 'text') return;
    for (const channel of this.cursors.channels) link.send(this.cursors.subscribeFrame(channel));
    this.retry.channels?.clear();
    this.sendPending(link);
  }

  private onEnded(err?: Error): void {
    const link = this.link;
    this.link = undefined;
    const healthyForMs = link?.healthyAt === undefined ? 0 : performance.now() - link.healthyAt;
    if (err) {
      this.nextDelay = { ...this.policy.afterFailure(healthyForMs), reason: err.message };
      // A refused token, or (in a browser, which hides the status) any upgrade that failed.
      const lost = err instanceof ConnectionLostError ? err : undefined;
      this.refreshToken = lost?.httpStatus === 401 || (lost?.beforeOpen === true && lost.httpStatus === undefined);
    } else {
      const jitterLeftMs = Math.max(0, Math.round((this.drainReconnectAt ?? 0) - performance.now()));
      this.nextDelay = { ...this.policy.afterDrain(healthyForMs, jitterLeftMs), reason: 'the server drained the connection' };
    }
    this.drainReconnectAt = undefined;
    this.emit({ type: 'ended', how: err ? 'failure' : 'drain', wasHealthy: link?.ready === true, ...(err ? { error: err.message } : {}) });
  }

  /** Sends unanswered work not yet sent on this connection, oldest first, within the in-flight budget. */
  private sendPending(link: Link): void {
    if (!link.ready || link.draining) return;
    let budget = link.maxInFlight - this.requests.inFlightOn(link.number) - this.publishes.inFlightOn(link.number);
    const requests = this.requests.unsentOn(link.number);
    const publishes = this.publishes.unsentOn(link.number);
    const spent = (sent: boolean): boolean => {
      if (sent) budget--;
      return sent;
    };
    // Alternately, so a stream of one kind never starves the other.
    let requestsLeft = this.requests.size > 0;
    let publishesLeft = this.publishes.size > 0;
    while (budget > 0 && (requestsLeft || publishesLeft)) {
      if (requestsLeft)
        requestsLeft = spent(
          this.sendNext(link, 'request', this.requests, requests, ({ id, body }) => ({ type: 'request', id, payload: body.payload })),
        );
      if (publishesLeft && budget > 0)
        publishesLeft = spent(
          this.sendNext(link, 'publish', this.publishes, publishes, ({ id, body }) => ({ type: 'publish', id, ...body })),
        );
    }
  }

  /** Sends the next of `pending` on `link`; false when there is none. */
  private sendNext<Body>(
    link: Link,
    kind: WorkKind,
    outbox: Outbox<Body>,
    pending: Iterator<PendingWork<Body>>,
    frame: (work: PendingWork<Body>) => object,
  ): boolean {
    const next = pending.next();
    if (next.done) return false;
    const work = next.value;
    const resend = work.everSent;
    outbox.markSent(work, link.number);
    link.send(JSON.stringify(frame(work)));
    this.emit({ type: 'sent', kind, id: work.id, resend });
    return true;
  }

  private retryLater(channel: string | undefined): void {
    const retry = this.retry;
    if (channel !== undefined) (retry.channels ??= new Set<string>()).add(channel);
    if (retry.timer !== undefined) return;
    const delayMs = backoffDelayMs(retry.attempt++, this.options.reconnectBaseMs, this.options.streamRetryMaxMs);
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      const link = this.usableLink();
      if (!link) return;
      for (const name of retry.channels ?? []) if (this.cursors.follows(name)) link.send(this.cursors.subscribeFrame(name));
      retry.channels?.clear();
      this.sendPending(link);
    }, delayMs);
  }

  private outboxOf(kind: WorkKind): Outbox<RequestBody | PublishBody> {
    return kind === 'request' ? this.requests : this.publishes;
  }

  private usableLink(): Link | undefined {
    return this.link?.ready && !this.link.draining ? this.link : undefined;
  }

  private flushAck(): void {
    const seq = this.link?.seq.nextAck();
    if (this.link && seq !== undefined) this.sendAck(this.link, seq);
  }

  /** Only the JSON dialect numbers its frames, so only it ever has something to ack. */
  private sendAck(link: Link, seq: number): void {
    link.send(`{"type":"ack","seq":${seq}}`);
  }

  private onChannelEvent(event: ChannelEvent): void {
    this.channelSubjects?.get(event.channel)?.subject.next(event);
    if (event.type === 'entry' || event.type === 'subscribed') this.persist();
  }

  private settle(id: string): Settle | undefined {
    const settle = this.settles.get(id);
    this.settles.delete(id);
    return settle;
  }

  /** Work left the outbox: store it, and wake whoever waits for none to be left. */
  private workLeft(): void {
    this.persist();
    if (this.requests.size + this.publishes.size === 0) for (const waiter of [...(this.idleWaiters ?? [])]) waiter();
  }

  /** Saves the state once this turn's frames are handled: a reload cannot come in between. */
  private persist(): void {
    const storage = this.options.storage;
    if (!storage || this.persistQueued) return;
    this.persistQueued = true;
    queueMicrotask(() => {
      this.persistQueued = false;
      storage.save({
        cursors: { ...this.stored?.cursors, ...this.cursors.snapshot() },
        work: [
          ...this.requests.all().map(({ id, body }) => ({ kind: 'request' as const, id, payload: body.payload })),
          ...this.publishes.all().map(({ id, body }) => ({ kind: 'publish' as const, id, ...body })),
        ],
      });
    });
  }

  private setState(state: ClientState): void {
    this.state.next(state);
  }

  private emit(event: ClientEvent): void {
    this.events.next(event);
  }
}

function randomPrefix(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return crypto?.randomUUID ? crypto.randomUUID().slice(0, 8) : Math.random().toString(16).slice(2, 10);
}
