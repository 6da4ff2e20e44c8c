import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { clientConfig } from './config/client.config.js';
import { FleetService } from './fleet/fleet.service.js';
import { MetricsServer } from './metrics/metrics-server.service.js';

@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [clientConfig] })],
  providers: [FleetService, MetricsServer],
})
export class ClientModule {}
