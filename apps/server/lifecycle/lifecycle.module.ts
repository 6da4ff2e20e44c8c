import { Module } from '@nestjs/common';
import { ShutdownStateService } from './shutdown-state.service.js';

@Module({
  providers: [ShutdownStateService],
  exports: [ShutdownStateService],
})
export class LifecycleModule {}
