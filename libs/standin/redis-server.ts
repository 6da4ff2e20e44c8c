import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { ChildProgram } from './node-process.js';

/** How to get redis-server where it is missing; said wherever a missing one stops something. */
export const REDIS_INSTALL_HINT = 'install it with "apt-get install -y redis-server" (Debian/Ubuntu) or "brew install redis"';

/** A port free on loopback right now (redis-server cannot bind port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A throw-away `redis-server` on loopback. By default without persistence, so a restart loses
 * every key — what a Redis without AOF does, and what the epoch is there to make visible. With
 * `appendOnlyDir`, every write is in an append-only file (fsync always) in that folder, and a
 * restart keeps everything acknowledged.
 */
export class RedisServer extends ChildProgram {
  private constructor(
    readonly port: number,
    private readonly appendOnlyDir: string | undefined,
    private readonly extraArgs: string[],
  ) {
    const persistence =
      appendOnlyDir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', appendOnlyDir];
    super('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...extraArgs]);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts redis-server (on `port`, or a free one) and resolves once it accepts connections;
   * rejects with its output, and an install hint where it is missing, if it ends first.
   */
  static start(port?: number, appendOnlyDir?: string): Promise<RedisServer> {
    return RedisServer.launch({ port, appendOnlyDir });
  }

  /** `start` with more redis-server arguments: `--replicaof`, `--cluster-enabled`, … */
  static async launch({
    port,
    appendOnlyDir,
    args = [],
  }: {
    port?: number | undefined;
    appendOnlyDir?: string | undefined;
    args?: string[];
  }): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), appendOnlyDir, args);
    try {
      await server.expectLine(/Ready to accept connections/);
    } catch (err) {
      const missing = server.log.lines.some((line) => line.includes('ENOENT'));
      throw new Error(missing ? `redis-server is not installed: ${REDIS_INSTALL_HINT}` : (err as Error).message, { cause: err });
    }
    return server;
  }

  /** A new redis-server on the same port: empty, or with what its append-only file holds. */
  restart(): Promise<RedisServer> {
    return RedisServer.launch({ port: this.port, appendOnlyDir: this.appendOnlyDir, args: this.extraArgs });
  }

  /**
   * A new redis-server on the same port that lost everything: what a Redis without persistence
   * comes back as after a crash (its append-only file, if any, is deleted first).
   */
  async restartEmpty(): Promise<RedisServer> {
    if (this.appendOnlyDir !== undefined) {
      await rm(this.appendOnlyDir, { recursive: true, force: true });
      await mkdir(this.appendOnlyDir);
    }
    return RedisServer.launch({ port: this.port, appendOnlyDir: this.appendOnlyDir, args: this.extraArgs });
  }

  /** Stops it (SIGTERM) and waits for the exit. */
  async stop(): Promise<void> {
    this.signal('SIGTERM');
    await this.exited;
  }
}
