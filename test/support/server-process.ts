import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { LineLog } from './line-log.js';

export const SERVER_ENTRY = resolve('dist/apps/server/main.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A real server process on port 0, with its log lines and exit observable as events. */
export class ServerProcess {
  readonly log = new LineLog();
  readonly exited: Promise<Exit>;
  port = 0;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.log.push(line));
    }
  }

  /** Spawns the built server; resolves once it listens, rejects if it exits first. */
  static async start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = ServerProcess.spawn(env);
    const started = server.log.waitFor(/Server starting on :(\d+)/);
    const exitedEarly = server.exited.then((exit) => {
      throw new Error(`server exited before listening (${JSON.stringify(exit)}):\n${server.log.lines.join('\n')}`);
    });
    const match = await Promise.race([started, exitedEarly]);
    server.port = Number(match[1]);
    return server;
  }

  /** Spawns the built server without waiting for it (for start-up failures). */
  static spawn(env: Record<string, string> = {}): ServerProcess {
    if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run "npm run build" first`);
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { ...process.env, NO_COLOR: '1', PORT: '0', SERVER_ID: 'test-server', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Ends the process if a test left it running. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
