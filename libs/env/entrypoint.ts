import type { INestApplicationContext, LoggerService } from '@nestjs/common';
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

/** Resolves once everything written to stdout and stderr so far has been handed to the OS. */
export function flushStdio(): Promise<void> {
  const flushed = (stream: NodeJS.WriteStream): Promise<void> => new Promise((resolve) => stream.write('', () => resolve()));
  return Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => undefined);
}

/**
 * Closes the app (Nest's shutdown hooks: the drain, the summary), waits until the output is
 * flushed, and exits with `process.exitCode` (0 unless a hook set one). Nest's own
 * `enableShutdownHooks` either re-raises the signal (exit 143) or, with `useProcessExit`, exits
 * while output to a pipe is still queued: a drain of 1 000 clients lost its last 700 log lines,
 * `Graceful shutdown complete` among them.
 */
export function closeAndExit(app: INestApplicationContext, logger: LoggerService): void {
  app
    .close()
    .then(flushStdio)
    .then(
      () => process.exit(process.exitCode ?? 0),
      async (err: unknown) => {
        logger.error(`Shutdown failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        await flushStdio();
        process.exit(1);
      },
    );
}

/** On the first SIGTERM or SIGINT, `closeAndExit`; later signals are left to the app. */
export function closeOnShutdownSignal(app: INestApplicationContext, logger: LoggerService): void {
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    closeAndExit(app, logger);
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, close);
}
