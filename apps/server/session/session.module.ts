import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { SessionFactory } from './session.factory.js';
import { SessionRegistry } from './session-registry.service.js';
import { TickWrites } from './tick-writes.js';

@Module({
  imports: [StreamsModule, MetricsModule],
  providers: [SessionFactory, SessionRegistry, { provide: TickWrites, useFactory: () => new TickWrites() }],
  exports: [SessionRegistry, TickWrites],
})
export class SessionModule {}
