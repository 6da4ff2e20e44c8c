import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SHUTDOWN_SIGNALS, logLevelsFrom, readSettingsOrExit, runMain } from '@app/env';
import { ClientModule } from './client.module.js';
import { readClientSettings } from './config/client.config.js';

const logger = new Logger('Client');

runMain(async () => {
  const settings = readSettingsOrExit(readClientSettings, logger);
  const app = await NestFactory.createApplicationContext(ClientModule, {
    logger: logLevelsFrom(settings.logLevel),
    abortOnError: false,
  });
  // useProcessExit: exit 0 after the summary instead of re-raising the signal (143).
  app.enableShutdownHooks([...SHUTDOWN_SIGNALS], { useProcessExit: true });
}, logger);
