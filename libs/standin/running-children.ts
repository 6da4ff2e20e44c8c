import { readFileSync, readdirSync } from 'node:fs';

export interface RunningChild {
  pid: number;
  command: string;
}

/**
 * The processes whose parent is `parentPid` and that still run (a zombie has exited), read from
 * /proc; undefined where there is none. A dozen lines of /proc parsing rather than a package
 * that shells out to `ps`, which a slim CI image may not have.
 */
export function runningChildren(parentPid: number): RunningChild[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const children: RunningChild[] = [];
  for (const entry of entries.filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (command)" — the command may hold spaces and parentheses — come state and ppid.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== parentPid || state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      children.push({ pid: Number(entry), command: command.slice(0, 200) });
    } catch {
      // Ended while we looked: not running.
    }
  }
  return children;
}
