import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { oneOfVar } from './env-schema.js';

const LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
type Level = (typeof LEVELS)[number];

/** `LOG_LEVEL`: the least severe level printed (default `log`; `debug` adds per-frame lines). */
export const logLevelVar = oneOfVar('LOG_LEVEL', 'log', LEVELS);

/** `LOG_FORMAT`: `text` for people (default), `json` for log collectors: one object per line. */
export const logFormatVar = oneOfVar('LOG_FORMAT', 'text', ['text', 'json']);

/** The Nest logger levels printed at `level` and above. */
export function logLevelsFrom(level: Level): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/**
 * Nest's own console logger, set up from `LOG_LEVEL` and `LOG_FORMAT`: its JSON mode writes one
 * object per line (`level`, `pid`, `timestamp`, `message`, `context`), no second logging stack
 * needed. A plain object logged after the message is structured fields: at the top level of the
 * JSON line (Nest's own fields win a clash), appended in text. Text is coloured only on a
 * terminal and never with `NO_COLOR` set, so no ANSI codes end up in a container's log.
 */
export function createLogger(level: Level, format: 'text' | 'json', stdout: { isTTY?: boolean } = process.stdout): ConsoleLogger {
  const json = format === 'json';
  const colors = !json && stdout.isTTY === true && !process.env.NO_COLOR;
  return new ConsoleLogger({ logLevels: logLevelsFrom(level), json, colors, flattenParams: json });
}

/**
 * The logger to use before the settings are read: `LOG_FORMAT` and `LOG_LEVEL` as far as they
 * are valid (the config error that follows names them if not), so that a configuration error in
 * a cluster is a JSON line like every other, not text among JSON.
 */
export function bootLogger(env: NodeJS.ProcessEnv = process.env): ConsoleLogger {
  const level = logLevelVar.safeParse(env.LOG_LEVEL);
  const format = logFormatVar.safeParse(env.LOG_FORMAT);
  return createLogger(level.success ? level.data : 'log', format.success ? format.data : 'text');
}
