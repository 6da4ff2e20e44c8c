import { NodeProcess, SERVER_ENTRY, listeningPort } from '@app/standin';

/** The built server as a real process on port 0. */
export class ServerProcess extends NodeProcess {
  port = 0;

  /** Spawns the built server without waiting for it (for start-up failures). */
  static spawn(env: Record<string, string> = {}): ServerProcess {
    return new ServerProcess(SERVER_ENTRY, { PORT: '0', SERVER_ID: 'test-server', ...env });
  }

  /** Spawns the built server; resolves once it listens, rejects if it exits first. */
  static async start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = ServerProcess.spawn(env);
    server.port = await listeningPort(server);
    return server;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Ends the process if a test left it running. */
  async stop(): Promise<void> {
    await this.kill();
  }
}
