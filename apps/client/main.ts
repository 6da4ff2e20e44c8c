import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, logLevelsFrom } from '@app/env';
import { ClientModule } from './client.module.js';
import { readClientSettings, type ClientSettings } from './config/client.config.js';

const logger = new Logger('Client');

async function main(): Promise<void> {
  let settings: ClientSettings;
  try {
    settings = readClientSettings();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.error(err.message);
    process.exit(1);
  }
  const app = await NestFactory.createApplicationContext(ClientModule, {
    logger: logLevelsFrom(settings.logLevel),
    abortOnError: false,
  });
  // useProcessExit: exit 0 after the summary instead of re-raising the signal (143).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
}

main().catch((err: unknown) => {
  logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
