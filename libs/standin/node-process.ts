import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LogEventName, LogRecord } from '@app/contract';
import { LineLog, type EventFilter } from './line-log.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A program run as a child process, with its output lines and exit observable as events. */
export class ChildProgram {
  /** Every program started here that has not yet exited. */
  private static readonly started = new Set<ChildProgram>();
  readonly log = new LineLog();
  /**
   * Resolves once the process has exited *and* all its output has been read, so whoever reads
   * `log` after it sees every line (a process's last lines may arrive after its exit event).
   */
  readonly exited: Promise<Exit>;
  /** When the process exited (epoch ms), from its exit event; undefined while it runs. */
  exitedAt: number | undefined;
  private readonly child: ChildProcess;

  constructor(command: string, args: string[], env: Record<string, string | undefined> = {}) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // A program that cannot be started (not installed) ends like one that exits at once.
    this.child.once('error', (err) => this.log.push(`cannot start ${command}: ${err.message}`));
    this.child.once('exit', () => (this.exitedAt = Date.now()));
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    ChildProgram.started.add(this);
    void this.exited.then(() => ChildProgram.started.delete(this));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.log.push(line));
    }
  }

  /**
   * The first line from index `from` on that matches `pattern`, already printed or still to come;
   * rejects with the whole output if the process ends without printing one, so a crashed process
   * fails its test at once with its log instead of at the test's timeout.
   */
  expectLine(pattern: RegExp, from = 0): Promise<RegExpMatchArray> {
    return this.expectFirst((index) => pattern.exec(this.log.lines[index]!) ?? undefined, `a line matching ${String(pattern)}`, from);
  }

  /**
   * The first structured event `name` from line `from` on that `matches`, logged already or still
   * to come; rejects like `expectLine`. The process must log JSON (`LOG_FORMAT=json`).
   */
  expectEvent<N extends LogEventName>(name: N, matches: EventFilter<N> = () => true, from = 0): Promise<LogRecord<N>> {
    return this.expectFirst((index) => this.log.eventAt(index, name, matches), `an event ${name} as asked`, from);
  }

  private expectFirst<T>(pick: (index: number) => T | undefined, what: string, from: number): Promise<T> {
    const seen = this.log.first(pick, from);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const stop = this.log.onLine((_line, index) => {
        if (index < from) return;
        const picked = pick(index);
        if (picked === undefined) return;
        stop();
        resolve(picked);
      });
      void this.exited.then((exit) => {
        stop();
        const picked = this.log.first(pick, from);
        if (picked !== undefined) resolve(picked);
        else reject(new Error(`process ended (${JSON.stringify(exit)}) without ${what}:\n${this.log.lines.join('\n')}`));
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The child's process id (for reading /proc), undefined if it never started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /**
   * SIGKILLs every program started here that still runs: for a parent that is being stopped
   * itself, whose children (a redis-server above all) would otherwise outlive it.
   */
  static killAll(): void {
    for (const program of ChildProgram.started) program.signal('SIGKILL');
  }

  /** SIGKILLs the process if it is still running, and waits for it. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** A Node.js program (a built entry point) run as a child process, without colours in its output. */
export class NodeProcess extends ChildProgram {
  /** `nodeOptions` go to node itself, before the entry point (`--inspect=…`). */
  constructor(entry: string, env: Record<string, string | undefined>, args: string[] = [], nodeOptions: string[] = []) {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    super(process.execPath, [...nodeOptions, entry, ...args], { NO_COLOR: '1', ...env });
  }
}
