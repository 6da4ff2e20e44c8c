import { Module } from '@nestjs/common';
import { DrainService } from '../drain/drain.service.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { SessionGateway } from './session.gateway.js';
import { SessionRegistry } from './session-registry.service.js';

@Module({
  imports: [LifecycleModule],
  providers: [SessionGateway, SessionRegistry, DrainService],
})
export class SessionModule {}
