import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LineLog } from './line-log.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Node.js program run as a child process, with its output lines and exit observable as events. */
export class NodeProcess {
  readonly log = new LineLog();
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  /** Resolves once the process has exited and all its output has been read. */
  private readonly outputEnded: Promise<void>;

  constructor(entry: string, env: Record<string, string | undefined>, args: string[] = []) {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    this.child = spawn(process.execPath, [entry, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.outputEnded = new Promise((resolve) => this.child.once('close', () => resolve()));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.log.push(line));
    }
  }

  /**
   * The first line from index `from` on that matches `pattern`, already printed or still to come;
   * rejects with the whole output if the process ends without printing one.
   */
  expectLine(pattern: RegExp, from = 0): Promise<RegExpMatchArray> {
    const ended = this.outputEnded.then(async () => {
      const match = this.log.lines.slice(from).map((line) => pattern.exec(line)).find((m) => m !== null);
      if (match) return match;
      const exit = await this.exited;
      throw new Error(`process ended (${JSON.stringify(exit)}) without a line matching ${String(pattern)}:\n${this.log.lines.join('\n')}`);
    });
    return Promise.race([this.log.waitFor(pattern, from), ended]);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILLs the process if it is still running, and waits for it. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }
}
