import { NodeProcess } from '@app/standin';
import { resolve } from 'node:path';
import type { ClientSummary } from '../../apps/client/stats/client-stats.js';

export const CLIENT_ENTRY = resolve('dist/apps/client/main.js');

/** The built client as a real process. */
export class ClientProcess extends NodeProcess {
  static spawn(env: Record<string, string>): ClientProcess {
    return new ClientProcess(CLIENT_ENTRY, env);
  }

  /** Stops the client with SIGTERM and returns its `Client summary:` line, parsed. */
  async finish(): Promise<ClientSummary> {
    this.signal('SIGTERM');
    const exit = await this.exited;
    if (exit.code !== 0) throw new Error(`client exited with ${JSON.stringify(exit)}:\n${this.log.lines.join('\n')}`);
    const line = this.log.lines.find((candidate) => candidate.startsWith('Client summary: '));
    if (!line) throw new Error(`no summary line in:\n${this.log.lines.join('\n')}`);
    return JSON.parse(line.slice('Client summary: '.length)) as ClientSummary;
  }
}
