import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DrainingExpressAdapter } from './adapters/draining-express.adapter.js';
import { DrainingWsAdapter } from './adapters/draining-ws.adapter.js';
import { AppModule } from './app.module.js';
import type { ServerSettings } from './config/server.config.js';
import { AdmissionService } from './gateway/admission.service.js';
import { TickWrites } from './session/tick-writes.js';

/**
 * Builds the server application from its settings (`readServerSettings`), with the adapters the
 * drain depends on. Signal handling is left to the caller, so tests can run the app in-process
 * and close it themselves.
 */
export async function createServerApp(settings: ServerSettings, options: NestApplicationOptions = {}): Promise<INestApplication> {
  const { maxPayloadBytes, limits } = settings;
  const app = await NestFactory.create(
    AppModule.forRoot(settings),
    new DrainingExpressAdapter({ headersTimeoutMs: limits.headersTimeoutMs, listenBacklog: limits.listenBacklog }),
    {
      ...options,
      abortOnError: false,
    },
  );
  const admission = app.get(AdmissionService);
  const writes = app.get(TickWrites);
  app.useWebSocketAdapter(
    new DrainingWsAdapter(app, {
      maxPayloadBytes,
      admit: (request) => admission.admit(request),
      onUnknownPath: () => admission.unknownPath(),
      holdWrites: (socket) => writes.hold(socket),
    }),
  );
  return app;
}
