import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, logLevelsFrom } from '@app/env';
import { readServerSettings, type ServerSettings } from './config/server.config.js';
import { SHUTDOWN_SIGNALS } from './lifecycle/shutdown-state.service.js';
import { createServerApp } from './server.factory.js';

const logger = new Logger('Server');

async function main(): Promise<void> {
  // Read before Nest starts so that a bad variable gives one clear line, not a stack trace; the
  // config provider validates the same way for anything that builds the module itself.
  let settings: ServerSettings;
  try {
    settings = readServerSettings();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.error(err.message);
    process.exit(1);
  }
  const app = await createServerApp({ logger: logLevelsFrom(settings.logLevel) });
  if (settings.maxWorkMs >= settings.drainTimeoutMs) {
    logger.warn(
      `MAX_WORK_MS (${settings.maxWorkMs}) is not below DRAIN_TIMEOUT_MS (${settings.drainTimeoutMs}): ` +
        'requests still in flight at the deadline are cut, and their clients send them again',
    );
  }
  // useProcessExit: after the drain the process exits 0 instead of re-raising the signal (143).
  app.enableShutdownHooks([...SHUTDOWN_SIGNALS], { useProcessExit: true });
  await app.listen(settings.port);
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  logger.log(`Server starting on :${port}`);
}

main().catch((err: unknown) => {
  logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
