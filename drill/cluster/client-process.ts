import { resolve } from 'node:path';
import { NodeProcess } from '@app/standin';
import { CLIENT_SUMMARY_PREFIX, EXIT_WORK_UNANSWERED, parseClientSummaryLine, type ClientSummary } from '@app/contract';

export const CLIENT_ENTRY = resolve('dist/apps/client/main.js');

/** The built client as a real process; its summary line is its result. */
export class ClientProcess extends NodeProcess {
  static spawn(env: Record<string, string>): ClientProcess {
    return new ClientProcess(CLIENT_ENTRY, env);
  }

  /**
   * Resolves once a periodic stats line from log line `from` on shows all `clients` connected,
   * `hello` received (needs STATS_INTERVAL_MS).
   */
  async allConnected(clients: number, from = 0): Promise<void> {
    await this.expectLine(new RegExp(`Stats: connected=${clients}/${clients} `), from);
  }

  /**
   * Stops the client with SIGTERM and returns its `Client summary:` line, parsed. Unanswered work
   * (exit code 3) is in the summary, for the report to judge.
   */
  async finish(): Promise<ClientSummary> {
    this.signal('SIGTERM');
    const exit = await this.exited;
    if (exit.code !== 0 && exit.code !== EXIT_WORK_UNANSWERED)
      throw new Error(`client exited with ${JSON.stringify(exit)}:\n${this.log.lines.join('\n')}`);
    const line = this.log.lines.find((candidate) => candidate.startsWith(CLIENT_SUMMARY_PREFIX));
    if (!line) throw new Error(`no summary line in:\n${this.log.lines.join('\n')}`);
    return parseClientSummaryLine(line);
  }
}
