import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SHUTDOWN_SIGNALS } from '@app/env';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';

/**
 * The one place that knows whether this replica is shutting down.
 *
 * It listens to the signals itself so that readiness turns 503 in the same tick as the signal
 * arrives, before Nest's hooks (and the `SHUTDOWN_DELAY_MS` they include) run. A second signal
 * while shutting down asks for an immediate end: the delay is skipped and the drain cuts what
 * is left.
 */
@Injectable()
export class ShutdownStateService
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Server');
  private began = false;
  private reason = '';
  private hurried = false;
  private readonly hurryListeners = new Set<() => void>();
  private readonly onSignal = (signal: NodeJS.Signals): void => this.begin(signal);

  constructor(@Inject(SERVER_SETTINGS) private readonly config: ServerSettings) {}

  /** True from the first shutdown signal (or `app.close()`) on. */
  get shuttingDown(): boolean {
    return this.began;
  }

  /** What started the shutdown: the signal name, or `close` for a programmatic `app.close()`. */
  get shutdownReason(): string {
    return this.reason;
  }

  onModuleInit(): void {
    for (const signal of SHUTDOWN_SIGNALS) process.on(signal, this.onSignal);
  }

  onModuleDestroy(): void {
    this.begin('close');
  }

  /** Keeps serving established connections for `SHUTDOWN_DELAY_MS` while endpoints drop this pod. */
  async beforeApplicationShutdown(): Promise<void> {
    const delayMs = this.config.shutdownDelayMs;
    if (delayMs === 0) return;
    this.logger.log(`Serving established connections for ${delayMs} ms before draining`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.onHurry(done);
    });
  }

  onApplicationShutdown(): void {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, this.onSignal);
  }

  /** Runs `listener` once a second signal asks the shutdown to finish now (at once if it already did). */
  onHurry(listener: () => void): void {
    if (this.hurried) listener();
    else this.hurryListeners.add(listener);
  }

  begin(reason: string): void {
    if (!this.began) {
      this.began = true;
      this.reason = reason;
      if (reason !== 'close') this.logger.log('Received shutdown signal, starting graceful shutdown...', { event: 'drain_started', signal: reason });
      return;
    }
    if (reason === 'close') return;
    this.logger.warn(`Received ${reason} again: skipping the delay and cutting remaining connections`);
    this.hurried = true;
    for (const listener of this.hurryListeners) listener();
    this.hurryListeners.clear();
  }
}
