import { DEFAULT_RECONNECT_RATE_PER_SEC } from '@app/protocol';
import { readRepoFile, settingNames } from './repository.js';

/*
 * The settings tables in the docs say what the code does: each documented default is the one the
 * app declares, and the kustomize base either keeps a default or the table says what it sets
 * instead. (docs.spec.ts checks that the names match both ways.)
 */
const read = readRepoFile;
const CONSTANTS: Record<string, number> = { HOUR_MS: 3_600_000, DEFAULT_RECONNECT_RATE_PER_SEC };

/** A default as the config writes it: a product of numbers and the constants above (`64 * 1024`, `24 * HOUR_MS`). */
function evaluate(expression: string): number {
  return expression
    .split('*')
    .map((factor) => factor.trim())
    .reduce((product, factor) => product * (CONSTANTS[factor] ?? Number(factor.replaceAll('_', ''))), 1);
}

/** `intVar('NAME', default, …)` and `oneOfVar('NAME', 'default', …)` in an app's config. */
function declaredDefaults(source: string): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const [, name, expression] of read(source).matchAll(/\bintVar\('([A-Z0-9_]+)', ([^,]+),/g)) defaults.set(name!, String(evaluate(expression!)));
  for (const [, name, value] of read(source).matchAll(/\boneOfVar\('([A-Z0-9_]+)', '([^']*)',/g)) defaults.set(name!, value!);
  for (const [, name, constant] of read(source).matchAll(/\boneOfVar\('([A-Z0-9_]+)', ([A-Z_]+),/g)) defaults.set(name!, `\${${constant}}`);
  return defaults;
}

/** Each documented setting's default cell: `| \`A\`, \`B\` | \`1\`, \`2\` | meaning |` gives A → cell, B → cell. */
function documentedRows(doc: string): Map<string, { cell: string; value: string | undefined }> {
  const rows = new Map<string, { cell: string; value: string | undefined }>();
  for (const line of read(doc).split('\n').filter((row) => /^\| `[A-Z]/.test(row))) {
    const [, names, cell] = line.split('|').map((part) => part.trim());
    const values = [...cell!.matchAll(/`([^`]*)`/g)].map((found) => found[1]!);
    [...names!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].forEach(([, name], index) => rows.set(name!, { cell: cell!, value: values[index] }));
  }
  return rows;
}

/** `NAME=value` literals of one of the base's configMapGenerator entries. */
function baseLiterals(configMap: string): Map<string, string> {
  const base = read('kustomize/base/kustomization.yaml');
  const section = base.split(/\n {2}- name: /).find((part) => part.startsWith(`${configMap}\n`))!;
  return new Map([...section.matchAll(/^ {6}- ([A-Z0-9_]+)=(.*)$/gm)].map(([, name, value]) => [name!, value!]));
}

describe.each([
  ['server', 'apps/server/config/server.config.ts', 'docs/server.md', 'server-env'],
  ['client', 'apps/client/config/client.config.ts', 'docs/client.md', 'client-env'],
])('the %s settings table', (_app, source, doc, configMap) => {
  const defaults = declaredDefaults(source);
  const rows = documentedRows(doc);

  it('shows the default the code declares', () => {
    expect(defaults.size).toBeGreaterThan(10);
    const mismatched = [...defaults]
      .filter(([name, value]) => !value.startsWith('${') && rows.get(name)?.value !== value)
      .map(([name, value]) => `${name}: code ${value}, ${doc} ${rows.get(name)?.value ?? '(none)'}`);
    expect(mismatched).toEqual([]);
  });

  it('names what the kustomize base sets where it is not the default', () => {
    const literals = baseLiterals(configMap);
    expect(literals.size).toBeGreaterThan(5);
    const unexplained = [...literals]
      // NODE_OPTIONS is Node's own, documented with the memory limits.
      .filter(([name]) => name !== 'NODE_OPTIONS')
      .filter(([name, value]) => defaults.get(name) !== value && !rows.get(name)?.cell.includes(value))
      .map(([name, value]) => `${name}=${value} (${doc}: ${rows.get(name)?.cell ?? 'not documented'})`);
    expect(unexplained).toEqual([]);
  });
});

describe('the two apps’ settings', () => {
  it('share a name only where it means the same thing in both', () => {
    const client = new Set(settingNames('apps/client/config/client.config.ts'));
    const shared = settingNames('apps/server/config/server.config.ts').filter((name) => client.has(name));
    // Log level and format mean the same in both; anything else shared would be read two ways.
    expect(shared).toEqual(['LOG_LEVEL', 'LOG_FORMAT']);
  });
});
