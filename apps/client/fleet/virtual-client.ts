import { GracefulClient, RefusedError, type ClientEvent } from '@app/client';
import { formatClock, loggable } from '@app/protocol';
import { logLevelsFrom } from '@app/env';
import type { LoggerService } from '@nestjs/common';
import type { ClientSettings } from '../config/client.config.js';
import { wsSocketFactory } from '../connection/ws-socket.js';
import { ClientStats, type Outstanding } from '../stats/client-stats.js';
import { ChannelMeter } from '../streams/channel-meter.js';
import { ReconnectGapMeter } from './reconnect-gap.js';
import { WorkScheduler } from './work-scheduler.js';
import { logEvent, type LogEventFields } from '@app/contract';

/**
 * One simulated client: load generation and measurement around a `GracefulClient`, which does
 * everything the protocol asks of a client. This creates requests every `REQUEST_INTERVAL_MS`
 * and publishes every `PUBLISH_INTERVAL_MS`, follows `CHANNELS`, and turns the client's events
 * into the counters that prove nothing was lost and into the log lines the drill reads.
 */
export class VirtualClient {
  readonly stats = new ClientStats();
  private readonly client: GracefulClient;
  private readonly requester = new WorkScheduler(this.settings.requestIntervalMs);
  private readonly publisher = new WorkScheduler(this.settings.publishChannel ? this.settings.publishIntervalMs : 0);
  private readonly gaps = new ReconnectGapMeter(this.stats);
  private readonly channels = new ChannelMeter(this.stats.stream, this.logger, this.tag);
  /** Whether LOG_LEVEL prints the per-frame lines, and the debug-level close lines: if not, they are not even built. */
  private readonly framesPrinted: boolean;
  private readonly closesPrinted: boolean;
  private healthy = false;
  private requestCounter = 0;
  private publishCounter = 0;

  constructor(
    private readonly tag: string,
    private readonly settings: ClientSettings,
    private readonly logger: LoggerService,
    /** Per-frame lines at `log` level (a single client, as the original) or `debug` (a fleet). */
    private readonly frameLogLevel: 'log' | 'debug',
  ) {
    const { authToken, dialect, heartbeatMs, helloTimeoutMs, maxPayloadBytes, reconnectBaseMs, reconnectMaxMs } = settings;
    const { stableConnectionMs, drainReconnectJitterMs, streamRetryMaxMs, outboxLimit, ackIntervalMs } = settings;
    const printed = logLevelsFrom(settings.logLevel);
    this.framesPrinted = printed.includes(frameLogLevel);
    this.closesPrinted = printed.includes('debug');
    this.client = new GracefulClient({
      url: settings.serverUrl,
      dialect,
      createSocket: wsSocketFactory(maxPayloadBytes),
      ...(authToken === undefined ? {} : { token: () => authToken }),
      heartbeatMs,
      helloTimeoutMs,
      maxPayloadBytes,
      reconnectBaseMs,
      reconnectMaxMs,
      stableConnectionMs,
      drainReconnectJitterMs,
      streamRetryMaxMs,
      outboxLimit,
      ackIntervalMs,
      idPrefix: tag,
    });
    this.client.events$.subscribe((event) => this.on(event));
  }

  get outstanding(): Outstanding {
    return this.client.outstanding;
  }

  get connected(): boolean {
    return this.healthy;
  }

  start(): void {
    for (const channel of this.settings.channels) {
      this.channels.follow(channel);
      this.client.channel(channel).subscribe((event) => this.channels.on(event));
    }
    this.client.connect();
    this.requester.start(() => this.createRequest());
    this.publisher.start(() => this.createPublish());
  }

  /**
   * Stops creating work, waits up to `timeoutMs` for the outstanding results and publish
   * confirmations, then closes with 1000. Resolves with what is still outstanding.
   */
  async stop(timeoutMs: number): Promise<Outstanding> {
    this.requester.stop();
    this.publisher.stop();
    const outstanding = await this.client.whenIdle(timeoutMs);
    this.client.close();
    return outstanding;
  }

  private on(event: ClientEvent): void {
    const { stats, logger, tag: client } = this;
    switch (event.type) {
      case 'connecting':
        logger.log(`Connecting to ${event.url}`, logEvent('client_connecting', { client, url: event.url }));
        return;
      case 'socket-open':
        this.gaps.frame();
        return;
      case 'frame':
        this.noteFrame();
        if (this.framesPrinted)
          this.logFrame(`Received: ${loggable(event.text)}`, logEvent('frame_received', { client, text: event.text }));
        return;
      case 'invalid-frame':
        this.noteFrame();
        stats.invalidFrames++;
        logger.warn(
          `Ignored invalid frame from the server (${loggable(event.reason)}): ${loggable(event.text)}`,
          logEvent('invalid_frame', { client, reason: event.reason, text: loggable(event.text) }),
        );
        return;
      case 'healthy':
        this.healthy = true;
        this.gaps.healthy(event.serverId);
        return;
      case 'seq-gap':
        stats.seqGaps += event.to - event.from + 1;
        logger.warn(
          `Lost ${event.to - event.from + 1} frames: seq ${event.from} to ${event.to} never arrived`,
          logEvent('seq_gap', { client, from: event.from, to: event.to }),
        );
        return;
      case 'seq-backwards':
        stats.invalidFrames++;
        logger.warn(
          `Ignored a frame whose seq ${event.seq} went backwards (last was ${event.last})`,
          logEvent('seq_backwards', { client, seq: event.seq, last: event.last }),
        );
        return;
      case 'drain-notice':
        logger.log('Server is shutting down, processing remaining data...', logEvent('drain_notice_received', { client }));
        return;
      case 'drain-marker':
        logger.log('Server sent close signal', logEvent('drain_marker_received', { client }));
        return;
      case 'ended':
        this.healthy = false;
        this.gaps.ended(event.how, event.wasHealthy);
        // The event rides on the failure's line when there is one (it says why), else on the original program's line.
        if (event.how === 'failure') {
          const error = event.error ?? 'unknown error';
          logger.warn(`Connection failed: ${error}`, logEvent('connection_ended', { client, how: event.how, error }));
          logger.log('Connection closed, will reconnect...');
        } else {
          logger.log('Connection closed, will reconnect...', logEvent('connection_ended', { client, how: event.how }));
        }
        return;
      case 'reconnect-scheduled':
        logger.log(
          `Reconnecting in ${event.delayMs} ms${event.attempt === undefined ? '' : ` (attempt ${event.attempt})`}...`,
          logEvent('reconnect_scheduled', {
            client,
            delayMs: event.delayMs,
            ...(event.attempt === undefined ? {} : { attempt: event.attempt }),
          }),
        );
        return;
      case 'socket-closed':
        if (this.closesPrinted)
          this.logFrame(
            `Socket closed with ${event.code} ${event.reason}`.trimEnd(),
            logEvent('socket_closed', { client, code: event.code, reason: event.reason }),
            'debug',
          );
        return;
      case 'sent':
        if (event.kind === 'request') {
          stats.sent++;
          if (event.resend) stats.resent++;
        }
        return;
      case 'answered':
        this.onAnswered(event);
        return;
      case 'refused':
        logger.warn(
          `Server refused a frame: ${event.code} ${loggable(event.message)}`,
          logEvent('frame_refused', { client, code: event.code, reason: loggable(event.message) }),
        );
        return;
      case 'closed':
        this.healthy = false;
    }
  }

  private onAnswered({ kind, id, outcome, appendedBefore }: Extract<ClientEvent, { type: 'answered' }>): void {
    const { stats } = this;
    if (outcome === 'unknown') {
      stats.invalidFrames++;
      const shown = loggable(id.slice(0, 128));
      const frame = kind === 'request' ? 'result' : 'published';
      this.logger.warn(
        `Ignored a ${frame} for unknown ${kind} "${shown}"`,
        logEvent('unknown_answer', { client: this.tag, frame, id: shown }),
      );
    } else if (kind === 'request') {
      if (outcome === 'completed') stats.completed++;
      else stats.duplicates++;
    } else {
      // Answered twice, or by a backend that had appended it before: either way appended once.
      if (outcome === 'duplicate' || appendedBefore) stats.stream.publishDuplicates++;
      if (outcome === 'completed') stats.stream.publishAcked++;
    }
  }

  private noteFrame(): void {
    this.stats.framesReceived++;
    this.gaps.frame();
  }

  private createRequest(): void {
    if (this.settings.dialect === 'text') {
      this.client.sendText(`Client message: ${formatClock(new Date())}`);
      return;
    }
    if (this.client.isFull('request')) {
      this.stats.refused++;
      if (this.stats.refused === 1 || this.stats.refused % 100 === 0) {
        this.logger.warn(`Outbox full (${this.settings.outboxLimit} unanswered): refused ${this.stats.refused} requests so far`);
      }
      return;
    }
    this.stats.created++;
    this.client.request({ workMs: this.settings.workMs }, { id: `${this.tag}-${++this.requestCounter}` }).catch(ignoreClosed);
  }

  private createPublish(): void {
    const { stream } = this.stats;
    if (this.client.isFull('publish')) {
      stream.publishRefused++;
      if (stream.publishRefused === 1 || stream.publishRefused % 100 === 0) {
        this.logger.warn(`Outbox full (${this.settings.outboxLimit} unconfirmed publishes): refused ${stream.publishRefused} so far`);
      }
      return;
    }
    // Numbered only once taken: the ids of what was published run 1…N with no hole for a refusal.
    const n = ++this.publishCounter;
    stream.publishCreated++;
    this.client.publish(this.settings.publishChannel!, { sentAt: Date.now(), n }, { id: `${this.tag}-p${n}` }).catch(ignoreClosed);
  }

  private logFrame(line: string, fields: LogEventFields, level = this.frameLogLevel): void {
    if (level === 'log') this.logger.log(line, fields);
    else this.logger.debug?.(line, fields);
  }
}

/** Work still unanswered at exit is counted as outstanding; a refusal for good was logged by `refused`. */
function ignoreClosed(err: unknown): void {
  if (!(err instanceof RefusedError)) throw err;
}
