import { ChildProgram } from '@app/standin';
import { parseDrillOptions, HELP, UsageError } from './drill.options.js';
import { runDrill } from './run-drill.js';

async function main(): Promise<number> {
  let options;
  try {
    options = parseDrillOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${HELP}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  const report = await runDrill(options);
  for (const skipped of report.notRun) process.stdout.write(`⚠️ ${skipped.scenario}: not run — ${skipped.reason}\n`);
  for (const failed of report.failed) {
    process.stdout.write(`❌ ${failed.scenario}: ${failed.check} — ${failed.detail}\n`);
  }
  process.stdout.write(
    `${report.passed ? '✅ all checks passed' : `❌ ${report.failed.length} checks failed`}` +
      `${report.notRun.length > 0 ? ` (${report.notRun.length} scenarios not run)` : ''}` +
      // The ⚠️ lines above name them; the last line must not read as if every goal was reached.
      `${report.targets.missed > 0 ? `; ⚠️ ${report.targets.missed} of ${report.targets.total} speed targets missed` : ''}` +
      `; report in ${report.folder}/report.md\n`,
  );
  return report.passed ? 0 : 1;
}

// Stopped mid-run (Ctrl-C, a CI timeout): every pod, client and redis-server the drill started
// goes with it — they would outlive it (a redis-server does, for good).
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    ChildProgram.killAll();
    process.stderr.write(`drill stopped by ${signal}: every process it started was killed\n`);
    process.exit(code);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`drill failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
