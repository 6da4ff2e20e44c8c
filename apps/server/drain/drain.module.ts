import { Module } from '@nestjs/common';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { SessionModule } from '../session/session.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { ShutdownCoordinator } from '../lifecycle/shutdown-coordinator.js';
import { DrainService } from './drain.service.js';

@Module({
  imports: [LifecycleModule, SessionModule, StreamsModule, MetricsModule],
  providers: [DrainService, ShutdownCoordinator],
  exports: [ShutdownCoordinator],
})
export class DrainModule {}
