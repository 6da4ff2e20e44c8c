import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ConfigType } from '@nestjs/config';
import { DrainingExpressAdapter } from './adapters/draining-express.adapter.js';
import { DrainingWsAdapter } from './adapters/draining-ws.adapter.js';
import { AppModule } from './app.module.js';
import { serverConfig } from './config/server.config.js';
import { ShutdownStateService } from './lifecycle/shutdown-state.service.js';

/**
 * Builds the server application with the adapters the drain depends on. Rejects with a
 * `ConfigError` when the environment is invalid. Signal handling is left to the caller, so
 * tests can run the app in-process and close it themselves.
 */
export async function createServerApp(options: NestApplicationOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule, new DrainingExpressAdapter(), { ...options, abortOnError: false });
  const { maxPayloadBytes } = app.get<ConfigType<typeof serverConfig>>(serverConfig.KEY);
  const shutdownState = app.get(ShutdownStateService);
  app.useWebSocketAdapter(
    new DrainingWsAdapter(app, { maxPayloadBytes, acceptingConnections: () => !shutdownState.shuttingDown }),
  );
  return app;
}
