import { randomBytes } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CLIENT_SETTINGS, type ClientSettings } from '../config/client.config.js';
import { CLIENT_SUMMARY_PREFIX, EXIT_WORK_UNANSWERED, logEvent, type ClientSummary, type LogEvents } from '@app/contract';
import { summarize, type ClientStats } from '../stats/client-stats.js';
import { VirtualClient } from './virtual-client.js';

/** Runs `CLIENTS` virtual clients, prints periodic stats, and the summary line on exit. */
@Injectable()
export class FleetService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Client');
  private readonly clients: VirtualClient[];
  private statsTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(CLIENT_SETTINGS) private readonly settings: ClientSettings) {
    // A per-process prefix keeps request ids unique across client restarts and replicas.
    const run = randomBytes(4).toString('hex');
    const single = settings.clients === 1;
    this.clients = Array.from(
      { length: settings.clients },
      (_, index) =>
        new VirtualClient(
          `${run}.${index + 1}`,
          settings,
          single ? this.logger : new Logger(`Client ${index + 1}`),
          single ? 'log' : 'debug',
        ),
    );
  }

  onApplicationBootstrap(): void {
    for (const client of this.clients) client.start();
    if (this.settings.statsIntervalMs > 0) {
      this.statsTimer = setInterval(() => this.logStats(), this.settings.statsIntervalMs);
    }
  }

  /** SIGTERM/SIGINT: stop creating work and give outstanding requests a bounded time to finish. */
  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log(`Stopping: waiting up to ${this.settings.exitTimeoutMs} ms for outstanding results`);
    const left = await Promise.all(this.clients.map((client) => client.stop(this.settings.exitTimeoutMs)));
    const requests = left.reduce((sum, count) => sum + count.requests, 0);
    const publishes = left.reduce((sum, count) => sum + count.publishes, 0);
    if (requests + publishes === 0) return;
    this.logger.warn(
      `Still outstanding at exit: ${requests} requests unanswered, ${publishes} publishes unconfirmed`,
      logEvent('work_unanswered', { requests, publishes }),
    );
    // Whoever runs the client (a script, a Job) sees unfinished work without reading the log.
    process.exitCode = EXIT_WORK_UNANSWERED;
  }

  onApplicationShutdown(): void {
    clearInterval(this.statsTimer);
    const invalid = this.clients.reduce((sum, client) => sum + client.stats.invalidFrames, 0);
    if (invalid > 0)
      this.logger.warn(`Ignored ${invalid} invalid frames from the server`, logEvent('invalid_frames_ignored', { count: invalid }));
    // Plain JSON on its own line, whatever the logger does, so tools can parse it.
    process.stdout.write(`${CLIENT_SUMMARY_PREFIX}${JSON.stringify(this.summary())}\n`);
  }

  /** Each virtual client's counters, as they are now. */
  get stats(): ClientStats[] {
    return this.clients.map((client) => client.stats);
  }

  /** Virtual clients with a healthy connection right now. */
  get connected(): number {
    return this.clients.filter((client) => client.connected).length;
  }

  summary(): ClientSummary {
    const outstanding = {
      requests: this.clients.reduce((sum, client) => sum + client.outstanding.requests, 0),
      publishes: this.clients.reduce((sum, client) => sum + client.outstanding.publishes, 0),
    };
    return summarize(this.stats, outstanding, this.settings.dialect === 'json');
  }

  private logStats(): void {
    const s = this.summary();
    const { connected } = this;
    const requests = s.requests
      ? `requests created=${s.requests.created} completed=${s.requests.completed} outstanding=${s.requests.outstanding} ` +
        `resent=${s.requests.resent} duplicates=${s.requests.duplicates} refused=${s.requests.refused}`
      : 'requests not measurable in the text dialect';
    const stream = this.streamStats(s.stream);
    this.logger.log(
      `Stats: connected=${connected}/${s.clients} reconnects=${s.reconnects} failedAttempts=${s.failedAttempts} frames=${s.frames.received} ` +
        `seqGaps=${s.frames.seqGaps ?? 'n/a'} ${requests}` +
        (stream ? ` stream received=${stream.received} gaps=${stream.gaps} slowestOffset=${stream.slowestOffset}` : ''),
      logEvent('client_stats', {
        connected,
        clients: s.clients,
        reconnects: s.reconnects,
        framesReceived: s.frames.received,
        requestsCreated: s.requests?.created ?? null,
        stream,
      }),
    );
  }

  /** For a fleet following channels: entries received, gaps, and the offset the slowest client reached in the first channel. */
  private streamStats(stream: ClientSummary['stream']): LogEvents['client_stats']['stream'] {
    const [channel] = this.settings.channels;
    if (channel === undefined || stream === null) return null;
    return { received: stream.received, gaps: stream.gaps, slowestOffset: stream.lastOffset[channel]?.min ?? 0 };
  }
}
