import { Module } from '@nestjs/common';
import { SessionGateway } from './session.gateway.js';
import { SessionFactory } from './session.factory.js';
import { SessionRegistry } from './session-registry.service.js';

@Module({
  providers: [SessionGateway, SessionFactory, SessionRegistry],
  exports: [SessionRegistry],
})
export class SessionModule {}
