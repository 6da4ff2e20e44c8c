import { Module, type DynamicModule } from '@nestjs/common';
import { SERVER_SETTINGS, type ServerSettings } from './config/server.config.js';
import { DrainModule } from './drain/drain.module.js';
import { GatewayModule } from './gateway/gateway.module.js';
import { HealthModule } from './health/health.module.js';

@Module({})
export class AppModule {
  /** The server, with the settings its entry point read once available to every module. */
  static forRoot(settings: ServerSettings): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: [{ provide: SERVER_SETTINGS, useValue: settings }],
      exports: [SERVER_SETTINGS],
      imports: [HealthModule, GatewayModule, DrainModule],
    };
  }
}
