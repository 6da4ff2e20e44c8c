import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { bootLogger, closeOnShutdownSignal, createLogger, readSettingsOrExit, runMain } from '@app/env';
import { ClientModule } from './client.module.js';
import { readClientSettings } from './config/client.config.js';

// Until the app has its own logger: a bad setting is reported in the format the operator asked for.
Logger.overrideLogger(bootLogger());
const logger = new Logger('Client');

runMain(async () => {
  const settings = readSettingsOrExit(readClientSettings, logger);
  const app = await NestFactory.createApplicationContext(ClientModule.forRoot(settings), {
    logger: createLogger(settings.logLevel, settings.logFormat),
    abortOnError: false,
  });
  closeOnShutdownSignal(app, logger);
}, logger);
