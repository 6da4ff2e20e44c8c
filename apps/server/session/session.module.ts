import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { SessionFactory } from './session.factory.js';
import { SessionRegistry } from './session-registry.service.js';

@Module({
  imports: [StreamsModule, MetricsModule],
  providers: [SessionFactory, SessionRegistry],
  exports: [SessionRegistry],
})
export class SessionModule {}
