import { Module } from '@nestjs/common';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { SessionModule } from '../session/session.module.js';
import { DrainService } from './drain.service.js';

@Module({
  imports: [LifecycleModule, SessionModule],
  providers: [DrainService],
})
export class DrainModule {}
