/**
 * Benchmark: reconnect gap after a drain for a single client, against the floor measured in the
 * same run (a fresh connection → `hello` through the same Service). Prints ratios, asserts
 * nothing: timings belong to the machine.
 *
 *   npm run bench:reconnect [-- DRAINS]     (default 30 drains)
 */
import { ClientProcess, ServerProcess, TcpForwarder } from '@app/standin';
import { measureConnectFloor } from './scenarios/connect-floor.js';
import { GAP_TARGET_MS } from './scenarios/targets.js';

/** What the original program did: a fixed 2 s sleep before reconnecting. */
const ORIGINAL_RECONNECT_MS = 2000;

async function startServer(service: TcpForwarder, id: string): Promise<ServerProcess> {
  const server = ServerProcess.spawn({ SERVER_ID: id, DATA_INTERVAL_MS: '100' });
  const port = await server.listening();
  service.addEndpoint({ id, host: '127.0.0.1', port });
  return server;
}

async function main(): Promise<void> {
  const drains = Number(process.argv[2] ?? 30);
  const service = new TcpForwarder();
  const url = `ws://127.0.0.1:${await service.listen()}/ws`;
  const servers = new Map<string, ServerProcess>();
  for (const id of ['server-0', 'server-1']) servers.set(id, await startServer(service, id));
  const floor = await measureConnectFloor(url, 50);
  const client = ClientProcess.spawn({ SERVER_URL: url, REQUEST_INTERVAL_MS: '100', WORK_MS: '10', LOG_LEVEL: 'warn' });
  try {
    await new Promise<void>((resolve) => service.once('connected', () => resolve()));
    for (let i = 0; i < drains; i++) {
      const [holder] = [...service.activeConnections()].find(([, active]) => active > 0) ?? [];
      const victim = holder ? servers.get(holder) : undefined;
      if (!holder || !victim) throw new Error('the client is not connected');
      const id = `server-${i + 2}`;
      servers.set(id, await startServer(service, id));
      service.removeEndpoint(holder);
      const reconnected = new Promise<void>((resolve) => service.once('connected', () => resolve()));
      victim.signal('SIGTERM');
      await Promise.all([victim.exited, reconnected]);
      servers.delete(holder);
      process.stderr.write(`\rdrains: ${i + 1}/${drains}`);
    }
    const summary = await client.finish();
    const gap = summary.reconnectGapMs.afterDrain;
    const lost = summary.frames.seqGaps;
    const ratio = (value: number | null, base: number | null) => (value !== null && base ? (value / base).toFixed(1) : 'n/a');
    const rows: [string, string][] = [
      ['connection floor (fresh connection → hello)', `p50 ${floor.p50} ms, p99 ${floor.p99} ms`],
      ['reconnect gap after a drain', `p50 ${gap.p50} ms, p99 ${gap.p99} ms, max ${gap.max} ms`],
      ['gap / floor', `p50 ${ratio(gap.p50, floor.p50)}×, p99 ${ratio(gap.p99, floor.p99)}×`],
      [`original ${ORIGINAL_RECONNECT_MS} ms sleep / gap p99`, `${ratio(ORIGINAL_RECONNECT_MS, gap.p99)}×`],
      [`target: gap p99 < ${GAP_TARGET_MS} ms`, gap.p99 !== null && gap.p99 < GAP_TARGET_MS ? 'met' : 'missed'],
      ['frames lost (seq gaps) / requests unanswered', `${lost} / ${summary.requests?.outstanding}`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    process.stdout.write(
      `\nreconnect gap, 1 client, ${gap.count} drains (last frame of the old connection → hello of the new)\n` +
        rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n') +
        '\n',
    );
  } finally {
    await client.kill();
    await Promise.all([...servers.values()].map((server) => server.kill()));
    await service.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
