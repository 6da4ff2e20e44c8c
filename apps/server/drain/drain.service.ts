import { Inject, Injectable, Logger } from '@nestjs/common';
import { SERVER_SETTINGS, type ServerSettings } from '../config/server.config.js';
import { ShutdownStateService } from '../lifecycle/shutdown-state.service.js';
import { SessionRegistry } from '../session/session-registry.service.js';
import { reconnectJitterMs } from '@app/protocol';
import { logEvent } from '@app/contract';

/** What one drain did, as logged in `Graceful shutdown complete`. */
export interface DrainReport {
  clients: number;
  framesFlushed: number;
  cutAtDeadline: number;
  durationMs: number;
}

/**
 * Drains every open connection at once (`ShutdownCoordinator` decides when), cutting what is left
 * at `DRAIN_TIMEOUT_MS` or when a second signal hurries the shutdown.
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger(DrainService.name);

  constructor(
    @Inject(SERVER_SETTINGS) private readonly config: ServerSettings,
    private readonly registry: SessionRegistry,
    private readonly shutdownState: ShutdownStateService,
  ) {}

  async drain(): Promise<DrainReport> {
    const startedAt = performance.now();
    const deadlineAt = Date.now() + this.config.drainTimeoutMs;
    const sessions = this.registry.live();
    const items = this.config.finalDataItems;
    this.logger.log(`Sending ${items} additional business data items`, logEvent('drain_final_data', { items, clients: sessions.length }));
    const notice = {
      reason: this.shutdownState.shutdownReason,
      deadlineAt,
      reconnectJitterMs: reconnectJitterMs(sessions.length, this.config.drainTimeoutMs, this.config.reconnectRatePerSec),
    };

    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      deadlineTimer = setTimeout(resolve, this.config.drainTimeoutMs);
      this.shutdownState.onHurry(resolve);
    });
    await Promise.race([Promise.all(sessions.map((session) => session.drain(notice))), deadline]);
    clearTimeout(deadlineTimer);

    const cut = sessions.filter((session) => !session.isClosed);
    for (const session of cut) session.terminate();
    await Promise.all(sessions.map((session) => session.closed));

    return {
      clients: sessions.length,
      framesFlushed: sessions.reduce((sum, session) => sum + session.framesFlushed, 0),
      cutAtDeadline: cut.length,
      durationMs: Math.round(performance.now() - startedAt),
    };
  }
}
