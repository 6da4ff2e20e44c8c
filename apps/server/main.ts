import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logEvent, serverListeningLine } from '@app/contract';
import { bootLogger, createLogger, readSettingsOrExit, runMain } from '@app/env';
import { readServerSettings } from './config/server.config.js';
import { ShutdownCoordinator } from './lifecycle/shutdown-coordinator.js';
import { createServerApp } from './server.factory.js';

// Until the app has its own logger: a bad setting is reported in the format the operator asked for.
Logger.overrideLogger(bootLogger());
const logger = new Logger('Server');

runMain(async () => {
  // Read once: the app is built from these settings and reads the environment no more.
  const settings = readSettingsOrExit(readServerSettings, logger);
  const app = await createServerApp(settings, { logger: createLogger(settings.logLevel, settings.logFormat) });
  if (settings.maxWorkMs >= settings.drainTimeoutMs) {
    logger.warn(
      `MAX_WORK_MS (${settings.maxWorkMs}) is not below DRAIN_TIMEOUT_MS (${settings.drainTimeoutMs}): ` +
        'requests still in flight at the deadline are cut, and their clients send them again',
    );
  }
  app.get(ShutdownCoordinator).listen(app);
  await app.listen(settings.port);
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  logger.log(serverListeningLine(port), logEvent('server_listening', { port }));
}, logger);
