import { readFileSync, readdirSync } from 'node:fs';

export interface RunningChild {
  pid: number;
  command: string;
}

/**
 * A process's state letter and parent from /proc/<pid>/stat; undefined once it is gone. After
 * "pid (command)" — the command may hold spaces and parentheses — come state and ppid.
 */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Whether process `pid` still runs (a zombie has exited), from /proc. */
export function stillRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/**
 * The processes whose parent is `parentPid` and that still run, read from /proc; undefined where
 * there is none. A few lines of /proc parsing rather than a package that shells out to `ps`,
 * which a slim CI image may not have.
 */
export function runningChildren(parentPid: number): RunningChild[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const children: RunningChild[] = [];
  for (const pid of entries.filter((name) => /^\d+$/.test(name)).map(Number)) {
    const stat = procStat(pid);
    if (stat?.ppid !== parentPid || stat.state === 'Z') continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      children.push({ pid, command: command.slice(0, 200) });
    } catch {
      // Ended while we looked: not running.
    }
  }
  return children;
}
