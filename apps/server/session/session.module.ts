import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module.js';
import { SessionGateway } from './session.gateway.js';
import { SessionFactory } from './session.factory.js';
import { SessionRegistry } from './session-registry.service.js';

@Module({
  imports: [StreamsModule],
  providers: [SessionGateway, SessionFactory, SessionRegistry],
  exports: [SessionRegistry],
})
export class SessionModule {}
