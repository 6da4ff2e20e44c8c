import type { LoggerService } from '@nestjs/common';
import { ConfigError } from './env-schema.js';

/** The signals both apps treat as "shut down gracefully": SIGTERM from the kubelet, SIGINT from a terminal. */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Reads the settings before Nest starts, so that a bad variable exits 1 with one clear line
 * naming it rather than a stack trace.
 */
export function readSettingsOrExit<T>(read: () => T, logger: LoggerService): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.error(err.message);
    process.exit(1);
  }
}

/** Runs an entry point; a failure to start is logged and exits 1. */
export function runMain(main: () => Promise<void>, logger: LoggerService): void {
  main().catch((err: unknown) => {
    logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
