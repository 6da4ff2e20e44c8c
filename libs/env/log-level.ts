import type { LogLevel } from '@nestjs/common';
import { oneOfVar } from './env-schema.js';

const LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

/** `LOG_LEVEL`: the least severe level printed (default `log`; `debug` adds per-frame lines). */
export const logLevelVar = oneOfVar('LOG_LEVEL', 'log', LEVELS);

/** The Nest logger levels printed at `level` and above. */
export function logLevelsFrom(level: (typeof LEVELS)[number]): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}
