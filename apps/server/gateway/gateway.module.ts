import { Module } from '@nestjs/common';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { SessionModule } from '../session/session.module.js';
import { AdmissionService } from './admission.service.js';
import { SessionGateway } from './session.gateway.js';

/** The way in: the upgrade gate (limits, origin, auth) and the gateway that hands sockets to sessions. */
@Module({
  imports: [LifecycleModule, SessionModule, MetricsModule],
  providers: [AdmissionService, SessionGateway],
  exports: [AdmissionService],
})
export class GatewayModule {}
