import { Module, type DynamicModule } from '@nestjs/common';
import { CLIENT_SETTINGS, type ClientSettings } from './config/client.config.js';
import { FleetService } from './fleet/fleet.service.js';
import { MetricsServer } from './metrics/metrics-server.service.js';

@Module({})
export class ClientModule {
  /** The client fleet, built from the settings its entry point read once. */
  static forRoot(settings: ClientSettings): DynamicModule {
    return { module: ClientModule, providers: [{ provide: CLIENT_SETTINGS, useValue: settings }, FleetService, MetricsServer] };
  }
}
