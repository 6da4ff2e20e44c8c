import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
