import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { ShutdownStateService } from '../lifecycle/shutdown-state.service.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdownState: ShutdownStateService,
  ) {}

  /**
   * 200 while the process answers. Not routed through `HealthCheckService`, which reports every
   * check as 503 once shutdown begins: a drain in progress is no reason to restart the pod.
   */
  @Get('live')
  live(): HealthCheckResult {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  /** 503 from the shutdown signal on, so endpoints stop sending this replica new connections. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('shutdown');
        return this.shutdownState.shuttingDown ? indicator.down({ reason: this.shutdownState.shutdownReason }) : indicator.up();
      },
    ]);
  }
}
