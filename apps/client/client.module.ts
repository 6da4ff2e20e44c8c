import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { clientConfig } from './config/client.config.js';
import { FleetService } from './fleet/fleet.service.js';

@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [clientConfig] })],
  providers: [FleetService],
})
export class ClientModule {}
