import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRepoFile, settingNames } from './repository.js';

/*
 * The docs say what exists: every command they tell a reader to run, every file they point to
 * and every setting they document is there, and every setting the apps read is documented. A
 * rename that forgets the docs fails here, not in a reader's terminal.
 */
const ROOT = process.cwd();
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const read = readRepoFile;
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

/** Every match of `pattern` in the docs, code blocks included (commands live there). */
function mentions(pattern: RegExp): { doc: string; match: string }[] {
  return DOCS.flatMap((doc) => [...read(doc).matchAll(pattern)].map((found) => ({ doc, match: found[1]! })));
}

describe('the docs', () => {
  it('name only npm scripts that exist', () => {
    const named = mentions(/npm run ([\w-]+(?::[\w-]+)*)/g);
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter(({ match }) => !scripts.includes(match))).toEqual([]);
  });

  it('link only to files that exist', () => {
    const links = mentions(/\]\(([^)\s]+)\)/g).filter(({ match }) => !/^(https?:|#|mailto:)/.test(match));
    expect(links.length).toBeGreaterThan(10);
    const missing = links.filter(({ doc, match }) => !existsSync(join(ROOT, doc.includes('/') ? 'docs' : '', match.split('#')[0]!)));
    expect(missing).toEqual([]);
  });

  it('link only to headings that exist', () => {
    // GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
    const slug = (heading: string): string => heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');
    const anchors = mentions(/\]\(([^)\s]*#[^)\s]+)\)/g).filter(({ match }) => !/^https?:/.test(match));
    expect(anchors.length).toBeGreaterThan(5);
    const broken = anchors.filter(({ doc, match }) => {
      const [file, anchor] = match.split('#') as [string, string];
      const target = file === '' ? doc : join(doc.includes('/') ? 'docs' : '', file);
      const headings = [...read(target).matchAll(/^#+ (.+)$/gm)].map((found) => slug(found[1]!));
      return !headings.includes(anchor);
    });
    expect(broken).toEqual([]);
  });

  it('point only to repository paths that exist', () => {
    const paths = mentions(/`((?:apps|libs|drill|bench|test|kustomize|docs|examples|\.ci)\/[\w./-]*[\w/])`/g);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter(({ match }) => !existsSync(join(ROOT, match)))).toEqual([]);
  });

  it.each([
    ['server', 'apps/server/config/server.config.ts', 'docs/server.md'],
    ['client', 'apps/client/config/client.config.ts', 'docs/client.md'],
  ])('document every %s setting, and no setting the app does not read', (_app, source, doc) => {
    const read_ = settingNames(source);
    expect(read_.length).toBeGreaterThan(10);
    // A settings table's first cell names one or more variables: | `A`, `B` | default | meaning |
    const documented = read(doc)
      .split('\n')
      .filter((line) => /^\| `[A-Z]/.test(line))
      .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((found) => found[1]!));
    expect(read_.filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !read_.includes(name))).toEqual([]);
  });
});

describe('the log events', () => {
  it('are each documented in docs/operations.md, and only those', () => {
    // The contract's names: the keys of `LogEvents` (two-space indented `name: {`).
    const declared = [...readRepoFile('libs/contract/log-events.ts').matchAll(/^ {2}([a-z_]+): \{/gm)].map((found) => found[1]!);
    expect(declared.length).toBeGreaterThan(30);
    const logs = readRepoFile('docs/operations.md').split('### Logs')[1]!.split('\n### ')[0]!;
    const documented = [...logs.matchAll(/^\| ([^|]+) \|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([a-z_]+)`/g)].map((name) => name[1]!));
    expect(documented.filter((name) => name !== 'event').sort()).toEqual([...declared].sort());
  });
});
