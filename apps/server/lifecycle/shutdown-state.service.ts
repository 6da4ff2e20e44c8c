import { Injectable, Logger } from '@nestjs/common';
import { logEvent } from '@app/contract';

/**
 * The one place that knows whether this replica is shutting down, and whether a second signal
 * asked it to finish now. Readiness and the upgrade gate read it; `ShutdownCoordinator` (which
 * owns the signals and runs the steps) changes it.
 */
@Injectable()
export class ShutdownStateService {
  private readonly logger = new Logger(ShutdownStateService.name);
  private began = false;
  private reason = '';
  private hurried = false;
  private readonly hurryListeners = new Set<() => void>();

  /** True from the first shutdown signal (or `app.close()`) on. */
  get shuttingDown(): boolean {
    return this.began;
  }

  /** What started the shutdown: the signal name, or `close` for a programmatic `app.close()`. */
  get shutdownReason(): string {
    return this.reason;
  }

  /** Runs `listener` once a second signal asks the shutdown to finish now (at once if it already did). */
  onHurry(listener: () => void): void {
    if (this.hurried) listener();
    else this.hurryListeners.add(listener);
  }

  /**
   * The first call starts the shutdown (`reason`: a signal, or `close`); a later signal hurries
   * it: whatever waits on `onHurry` (the delay, the drain's deadline) ends now.
   */
  begin(reason: string): void {
    if (!this.began) {
      this.began = true;
      this.reason = reason;
      if (reason !== 'close')
        this.logger.log('Received shutdown signal, starting graceful shutdown...', logEvent('drain_started', { signal: reason }));
      return;
    }
    if (reason === 'close') return;
    this.logger.warn(
      `Received ${reason} again: skipping the delay and cutting remaining connections`,
      logEvent('drain_hurried', { signal: reason }),
    );
    this.hurried = true;
    for (const listener of this.hurryListeners) listener();
    this.hurryListeners.clear();
  }
}
