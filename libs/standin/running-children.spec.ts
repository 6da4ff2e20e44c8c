import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { runningChildren, stillRunning } from './running-children.js';

describe('runningChildren', () => {
  it('lists a child while it runs, with its command line, and not once it has exited', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'marker-arg']);
    await once(child, 'spawn');
    try {
      expect(runningChildren(process.pid)).toContainEqual({
        pid: child.pid,
        command: `${process.execPath} -e setInterval(() => {}, 1000) marker-arg`,
      });
      expect(stillRunning(child.pid!)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    expect(runningChildren(process.pid)?.map(({ pid }) => pid)).not.toContain(child.pid);
    expect(stillRunning(child.pid!)).toBe(false);
  });
});
