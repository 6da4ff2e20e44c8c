import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A file of the repository, by its path from the root. */
export const readRepoFile = (path: string): string => readFileSync(join(process.cwd(), path), 'utf8');

/** The environment variables an app's config schema reads (its `NAME: …` keys). */
export const settingNames = (source: string): string[] => [...readRepoFile(source).matchAll(/^ {4}([A-Z][A-Z0-9_]+):/gm)].map((found) => found[1]!);
