import { resolve } from 'node:path';
import { CLIENT_SUMMARY_PREFIX, EXIT_WORK_UNANSWERED, parseClientSummaryLine, type ClientSummary } from '@app/contract';
import { step, type EventStep, type LineLog } from './line-log.js';
import { listeningPort } from './listening.js';
import { NodeProcess } from './node-process.js';

/** The built apps (`npm run build`). */
export const SERVER_ENTRY = resolve('dist/apps/server/main.js');
export const CLIENT_ENTRY = resolve('dist/apps/client/main.js');

/**
 * The one harness for the product's processes, shared by the tests, the drill and the benches:
 * start a built app with an environment, learn its port, and read its structured events
 * (`expectEvent`, `log.events`). Both log JSON unless the caller asks for text (`LOG_FORMAT`), so
 * observers read `@app/contract`'s events, never the wording of a log line.
 */
const JSON_LOGS = { LOG_FORMAT: 'json' };

/** The built server as a real process, on port 0 unless told otherwise. */
export class ServerProcess extends NodeProcess {
  port = 0;

  /** Spawns the server without waiting for it (for start-up failures, or a caller that waits itself). */
  static spawn(env: Record<string, string> = {}, nodeOptions: string[] = []): ServerProcess {
    return new ServerProcess(SERVER_ENTRY, { PORT: '0', SERVER_ID: 'test-server', ...JSON_LOGS, ...env }, [], nodeOptions);
  }

  /** Spawns the server; resolves once it listens, rejects if it exits first. */
  static async start(env: Record<string, string> = {}, nodeOptions: string[] = []): Promise<ServerProcess> {
    const server = ServerProcess.spawn(env, nodeOptions);
    await server.listening();
    return server;
  }

  /** Resolves with the port once the server listens (and remembers it). */
  async listening(): Promise<number> {
    this.port = await listeningPort(this);
    return this.port;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Ends the process if a caller left it running. */
  async stop(): Promise<void> {
    await this.kill();
  }
}

/** A frame a client received: a JSON frame's fields, or a text frame's `text`. */
export type ReceivedFrame = Record<string, unknown>;

/** A step of `eventsInOrder`: a frame received that `matches`. */
export function frameStep(describe: string, matches: (frame: ReceivedFrame) => boolean): EventStep {
  return step('frame_received', ({ text }) => matches(receivedFrame(text)), `frame ${describe}`);
}

/** The frame a `frame_received` event carries. */
export function receivedFrame(text: string): ReceivedFrame {
  if (!text.startsWith('{')) return { text };
  try {
    return JSON.parse(text) as ReceivedFrame;
  } catch {
    return { text };
  }
}

/** The load client's `Client summary:` line in `log`, if it printed one. */
export function clientSummaryLine(log: LineLog): string | undefined {
  return log.lines.find((line) => line.startsWith(CLIENT_SUMMARY_PREFIX));
}

/** The built load client as a real process; its summary line is its result. */
export class ClientProcess extends NodeProcess {
  static spawn(env: Record<string, string>, nodeOptions: string[] = []): ClientProcess {
    return new ClientProcess(CLIENT_ENTRY, { ...JSON_LOGS, ...env }, [], nodeOptions);
  }

  /**
   * Resolves once a periodic stats event from log line `from` on shows all `clients` connected,
   * `hello` received (needs STATS_INTERVAL_MS).
   */
  async allConnected(clients: number, from = 0): Promise<void> {
    await this.expectEvent('client_stats', (stats) => stats.connected === clients && stats.clients === clients, from);
  }

  /**
   * The first frame from log line `from` on that `matches`, as a virtual client received it
   * (`frame_received`: logged for a single client, or for a fleet at LOG_LEVEL=debug). Frames of
   * the JSON dialect are parsed; a text frame is `{ text }`.
   */
  async expectFrame(matches: (frame: ReceivedFrame) => boolean, from = 0): Promise<ReceivedFrame> {
    const { text } = await this.expectEvent('frame_received', (record) => matches(receivedFrame(record.text)), from);
    return receivedFrame(text);
  }

  /** The first `result` from log line `from` on that server `serverId` answered (its `payload.servedBy`). */
  async expectResultFrom(serverId: string, from = 0): Promise<ReceivedFrame> {
    return this.expectFrame(
      ({ type, payload }) => type === 'result' && (payload as { servedBy?: unknown } | undefined)?.servedBy === serverId,
      from,
    );
  }

  /**
   * Stops the client with SIGTERM and returns its `Client summary:` line, parsed. Unanswered work
   * (exit code 3) is in the summary, for the caller to judge.
   */
  async finish(): Promise<ClientSummary> {
    this.signal('SIGTERM');
    const exit = await this.exited;
    if (exit.code !== 0 && exit.code !== EXIT_WORK_UNANSWERED)
      throw new Error(`client exited with ${JSON.stringify(exit)}:\n${this.log.lines.join('\n')}`);
    const line = clientSummaryLine(this.log);
    if (!line) throw new Error(`no summary line in:\n${this.log.lines.join('\n')}`);
    return parseClientSummaryLine(line);
  }
}
