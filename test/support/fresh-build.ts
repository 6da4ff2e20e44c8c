import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the e2e tests run: the built apps and drill, not the sources. */
const BUILT_ENTRIES = ['dist/apps/server/main.js', 'dist/apps/client/main.js', 'dist/drill/main.js', 'dist/bench/main.js'];
const SOURCE_ROOTS = ['apps', 'libs', 'drill', 'bench'];

function newestSource(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory()
      ? newestSource(path)
      : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')
        ? { path, mtimeMs: statSync(path).mtimeMs }
        : newest;
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/**
 * Jest global setup of the e2e project: refuses to run the e2e tests on a missing build or on
 * one older than the sources, which would silently test the old code.
 */
export default function freshBuild(): void {
  const built = BUILT_ENTRIES.map((path) => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      throw new Error(`${path} is missing: the e2e tests run the built apps; run "npm run build" first`);
    }
  });
  const source = SOURCE_ROOTS.map(newestSource).reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (source.mtimeMs > Math.min(...built)) {
    throw new Error(`${source.path} changed after the last build: the e2e tests run dist/; run "npm run build" first`);
  }
}
