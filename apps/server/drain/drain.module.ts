import { Module } from '@nestjs/common';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { SessionModule } from '../session/session.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { DrainService } from './drain.service.js';

@Module({
  imports: [LifecycleModule, SessionModule, StreamsModule],
  providers: [DrainService],
})
export class DrainModule {}
