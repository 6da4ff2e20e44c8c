/**
 * Benchmark: what one connection costs the server in memory, the figure the manifests' memory
 * limits are derived from (README, "Limits and security"). Holds N connections that behave like
 * the client fleet (each acks what it gets), and one connection with many requests in flight,
 * and reads the server's resident set from /proc. Prints figures, asserts nothing.
 *
 *   npm run bench:connection-cost [-- CONNECTIONS]     (default 2000)
 */
import { NodeProcess } from '@app/standin';
import { SUBPROTOCOL, type ServerMessage } from '@app/protocol';
import WebSocket from 'ws';
import { rssBytes } from '../bench/probes.js';
import { SERVER_ENTRY } from './cluster/server-pod.js';

const KIB = 1024;

/** A connection that acks every sequenced frame; resolves once it has seen `frames` of them. */
function fleetLikeConnection(url: string, frames: number): { socket: WebSocket; seen: Promise<void> } {
  const socket = new WebSocket(url, SUBPROTOCOL, { perMessageDeflate: false });
  const seen = new Promise<void>((resolve, reject) => {
    let count = 0;
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as ServerMessage;
      if (!('seq' in frame)) return;
      socket.send(JSON.stringify({ type: 'ack', seq: frame.seq }));
      if (++count === frames) resolve();
    });
    socket.once('error', reject);
  });
  return { socket, seen };
}

async function startServer(env: Record<string, string>): Promise<{ server: NodeProcess; url: string; pid: number }> {
  const server = new NodeProcess(SERVER_ENTRY, { PORT: '0', ...env });
  const port = Number((await server.expectLine(/Server starting on :(\d+)/))[1]);
  return { server, url: `ws://127.0.0.1:${port}/ws`, pid: server.pid as number };
}

async function perConnection(connections: number): Promise<{ baseRss: number; perConnection: number }> {
  const { server, url, pid } = await startServer({ DATA_INTERVAL_MS: '500', MAX_CONNECTIONS: String(connections + 10) });
  try {
    const warm = fleetLikeConnection(url, 2);
    await warm.seen;
    warm.socket.close();
    const baseRss = rssBytes(pid);
    const held: WebSocket[] = [];
    // Opened in batches, so the kernel's accept queue is not what is measured.
    for (let opened = 0; opened < connections; opened += 200) {
      const batch = Array.from({ length: Math.min(200, connections - opened) }, () => fleetLikeConnection(url, 3));
      await Promise.all(batch.map((connection) => connection.seen));
      held.push(...batch.map((connection) => connection.socket));
      process.stderr.write(`\rconnections: ${held.length}/${connections}`);
    }
    process.stderr.write('\n');
    const perConnection = (rssBytes(pid) - baseRss) / connections;
    for (const socket of held) socket.terminate();
    return { baseRss, perConnection };
  } finally {
    await server.kill();
  }
}

async function perRequestInFlight(requests: number): Promise<number> {
  const { server, url, pid } = await startServer({ MAX_IN_FLIGHT: String(requests + 1), INBOUND_FRAMES_PER_SEC: '1000000', INBOUND_BYTES_PER_SEC: '1000000000' });
  try {
    const socket = new WebSocket(url, SUBPROTOCOL, { perMessageDeflate: false });
    await new Promise((resolve) => socket.once('open', resolve));
    const before = rssBytes(pid);
    const last = new Promise<void>((resolve) =>
      socket.on('message', (data: Buffer) => {
        if (data.toString().includes('"id":"last"')) resolve();
      }),
    );
    for (let i = 0; i < requests; i++) socket.send(JSON.stringify({ type: 'request', id: `r${i}`, payload: { workMs: 600_000 } }));
    // Answered only after every request before it was read: the whole batch is in flight.
    socket.send(JSON.stringify({ type: 'request', id: 'last', payload: {} }));
    await last;
    const cost = (rssBytes(pid) - before) / requests;
    socket.terminate();
    return cost;
  } finally {
    await server.kill();
  }
}

async function main(): Promise<void> {
  const connections = Number(process.argv[2] ?? 2000);
  const { baseRss, perConnection: connectionCost } = await perConnection(connections);
  const requestCost = await perRequestInFlight(20_000);
  const kib = (bytes: number): string => `${(bytes / KIB).toFixed(1)} KiB`;
  const rows: [string, string][] = [
    ['server RSS with no connections (base)', `${(baseRss / KIB / KIB).toFixed(1)} MiB`],
    [`RSS per connection (${connections} fleet-like connections)`, kib(connectionCost)],
    ['RSS per request in flight', kib(requestCost)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(`${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
