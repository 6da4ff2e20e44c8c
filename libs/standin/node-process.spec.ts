import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { step } from './line-log.js';
import { NodeProcess } from './node-process.js';

describe('NodeProcess.expectLine', () => {
  let dir: string;
  let entry: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'node-process-'));
    entry = join(dir, 'prints-and-exits.mjs');
    await writeFile(entry, "console.log('ready on :1234'); console.error('oops'); process.exit(3);\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves with a line the process printed, even after it exited', async () => {
    const child = new NodeProcess(entry, {});
    await child.exited;
    expect((await child.expectLine(/ready on :(\d+)/))[1]).toBe('1234');
  });

  it('rejects with the exit and the whole output when the line never comes', async () => {
    const child = new NodeProcess(entry, {});
    await expect(child.expectLine(/never printed/)).rejects.toThrow(
      /process ended \(\{"code":3,"signal":null\}\) without a line matching \/never printed\/:\n[^]*ready on :1234[^]*oops/,
    );
  });
});

describe('NodeProcess.expectEvent', () => {
  let dir: string;
  let entry: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'node-process-'));
    entry = join(dir, 'logs-events.mjs');
    const lines = [
      'not json at all',
      '{"level":"log","message":"Client connected: a","event":"client_connected","peer":"a","dialect":"json"}',
      '{"level":"log","message":"no event here"}',
      '{"level":"log","message":"Client connected: b","event":"client_connected","peer":"b","dialect":"text"}',
      '{"broken json',
    ];
    await writeFile(entry, `${lines.map((line) => `console.log(${JSON.stringify(line)});`).join('\n')}\nprocess.exit(0);\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the first event of a name whose fields match, from a line on, skipping lines that are no events', async () => {
    const child = new NodeProcess(entry, {});
    expect(await child.expectEvent('client_connected', ({ dialect }) => dialect === 'text')).toMatchObject({ peer: 'b' });
    expect(await child.expectEvent('client_connected', undefined, 2)).toMatchObject({ peer: 'b' });
    expect(child.log.events('client_connected').map(({ peer }) => peer)).toEqual(['a', 'b']);
    expect(child.log.eventsInOrder([step('client_connected'), step('client_connected'), step('client_connected')])).toEqual([
      1,
      3,
      undefined,
    ]);
  });

  it('rejects with the whole output when the process ends without the event', async () => {
    const child = new NodeProcess(entry, {});
    await expect(child.expectEvent('client_connected', ({ peer }) => peer === 'c')).rejects.toThrow(
      /process ended \(\{"code":0,"signal":null\}\) without an event client_connected as asked:\nnot json at all/,
    );
  });
});

describe('NodeProcess.exited', () => {
  let dir: string;
  let entry: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'node-process-'));
    entry = join(dir, 'floods-and-exits.mjs');
    // More than a pipe buffer, then the last line and an exit that does not wait for the pipe.
    await writeFile(
      entry,
      "for (let i = 0; i < 3000; i++) process.stdout.write(`line ${i} ${'x'.repeat(100)}\\n`);\nawait new Promise((resolve) => process.stdout.write('last line\\n', resolve));\nprocess.exit(0);\n",
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves only after every line the process printed has been read', async () => {
    const spawnedAt = Date.now();
    const child = new NodeProcess(entry, {});
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.log.lines.length).toBe(3001);
    expect(child.log.lines.at(-1)).toBe('last line');
    expect(child.exitedAt).toBeGreaterThanOrEqual(spawnedAt);
    expect(child.exitedAt).toBeLessThanOrEqual(Date.now());
  });
});
