/**
 * Benchmark: what connections cost the server in memory and in drain time, the figures the
 * manifests' memory limits are derived from (docs/limits-and-security.md). For each count it
 * holds that many connections that behave like the client fleet (each acks what it gets), reads
 * the server's resident set from /proc, then sends SIGTERM and times the drain to exit (every
 * connection must close with 1001). Then the largest count that fits the prod overlay's memory
 * limit, by the largest count's cost, is held and drained too. Last, one connection with many
 * requests in flight. Prints a table, asserts nothing but the drains' correctness.
 *
 *   npm run bench:connection-cost [-- 1000,5000,10000]     (the default counts)
 *   npm run bench:connection-cost -- --load                (the prod caps all in use: peak RSS)
 */
import { readFileSync } from 'node:fs';
import { ServerProcess } from '@app/standin';
import { SUBPROTOCOL, type ServerMessage } from '@app/protocol';
import WebSocket from 'ws';
import { heapUsedAfterGc, rssBytes } from '../bench/probes.js';

/** The prod overlay's server memory limit (kustomize/overlays/prod/server-deployment.patch.yaml). */
const PROD_MEMORY_LIMIT_MIB = 384;
/** The prod overlay's NODE_OPTIONS (kustomize/overlays/prod/kustomization.yaml): old space and young generation capped. */
const PROD_OLD_SPACE = '--max-old-space-size=256';
const PROD_SEMI_SPACE = '--max-semi-space-size=16';

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

async function startServer(
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ server: ServerProcess; port: number; url: string; pid: number; inspectorUrl: string }> {
  const server = ServerProcess.spawn(env, ['--inspect=127.0.0.1:0', ...nodeArgs]);
  const inspectorUrl = (await server.expectLine(/Debugger listening on (ws:\S+)/))[1]!;
  const port = await server.listening();
  return { server, port, url: `ws://127.0.0.1:${port}/ws`, pid: server.pid as number, inspectorUrl };
}

interface Held {
  connections: number;
  /** Resident set and JS heap after a full GC, with no connections and with them all. */
  baseRss: number;
  rss: number;
  baseHeap: number;
  heap: number;
  drainMs: number;
}

/** Holds `connections` fleet-like connections, reads RSS, then drains them: SIGTERM → exit. */
async function holdAndDrain(connections: number): Promise<Held> {
  const { server, url, pid, inspectorUrl } = await startServer({
    DATA_INTERVAL_MS: '5000',
    MAX_CONNECTIONS: String(connections + 10),
  });
  try {
    const warm = fleetLikeConnection(url, 1);
    await warm.seen;
    warm.socket.close();
    // RSS right after a full GC: without it, a collection during the run can make it shrink.
    const baseHeap = await heapUsedAfterGc(inspectorUrl);
    const baseRss = rssBytes(pid);
    const held: WebSocket[] = [];
    // Opened in batches, so the kernel's accept queue is not what is measured.
    for (let opened = 0; opened < connections; opened += 500) {
      const batch = Array.from({ length: Math.min(500, connections - opened) }, () => fleetLikeConnection(url, 1));
      await Promise.all(batch.map((connection) => connection.seen));
      held.push(...batch.map((connection) => connection.socket));
      process.stderr.write(`\rconnections: ${held.length}/${connections}`);
    }
    const heap = await heapUsedAfterGc(inspectorUrl);
    const rss = rssBytes(pid);
    process.stderr.write(` draining\n`);
    const closes = held.map((socket) => new Promise<number>((resolve) => socket.once('close', resolve)));
    const signalledAt = performance.now();
    server.signal('SIGTERM');
    const exit = await server.exited;
    const drainMs = performance.now() - signalledAt;
    const wrong = (await Promise.all(closes)).filter((code) => code !== 1001).length;
    if (exit.code !== 0 || wrong > 0)
      throw new Error(`drain of ${connections} failed: exit ${JSON.stringify(exit)}, ${wrong} closes other than 1001`);
    return { connections, baseRss, rss, baseHeap, heap, drainMs };
  } finally {
    await server.kill();
  }
}

async function perRequestInFlight(requests: number): Promise<number> {
  const { server, url, pid } = await startServer({
    MAX_IN_FLIGHT: String(requests + 1),
    INBOUND_FRAMES_PER_SEC: '1000000',
    INBOUND_BYTES_PER_SEC: '1000000000',
  });
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

/** The prod overlay's caps: its memory limit is sized for these, all in use at once. */
const PROD_LOAD = { connections: 2000, inFlight: 100 };

/**
 * `connections` connections each with `inFlight` requests in flight (answered in 10 min: they
 * stay in flight), the server's RSS sampled every 50 ms from the first connection until all are
 * taken: the peak, what stays once all are held, and the JS heap after a full GC then.
 */
async function underLoad(
  connections: number,
  inFlight: number,
  nodeArgs: string[],
): Promise<{ peakRss: number; heldRss: number; heap: number }> {
  const env = {
    MAX_CONNECTIONS: String(connections + 10),
    MAX_IN_FLIGHT: String(inFlight),
    MAX_WORK_MS: '3600000',
    DATA_INTERVAL_MS: '5000',
  };
  const { server, port, url, pid, inspectorUrl } = await startServer(env, nodeArgs);
  let peakRss = rssBytes(pid);
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pid))), 50);
  const held: WebSocket[] = [];
  try {
    for (let opened = 0; opened < connections; opened += 250) {
      const batch = Array.from({ length: Math.min(250, connections - opened) }, () => fleetLikeConnection(url, 1));
      await Promise.all(batch.map((connection) => connection.seen));
      for (const { socket } of batch) {
        for (let i = 0; i < inFlight; i++) socket.send(JSON.stringify({ type: 'request', id: `r${i}`, payload: { workMs: 600_000 } }));
        held.push(socket);
      }
      process.stderr.write(`\rconnections with ${inFlight} in flight: ${held.length}/${connections}`);
    }
    const inFlightNow = async (): Promise<number> =>
      Number(/^graceful_requests_in_flight (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1]);
    while ((await inFlightNow()) < connections * inFlight) await new Promise((resolve) => setTimeout(resolve, 100));
    process.stderr.write(' held\n');
    const heldRss = rssBytes(pid);
    const heap = await heapUsedAfterGc(inspectorUrl);
    return { peakRss: Math.max(peakRss, heldRss), heldRss, heap };
  } finally {
    clearInterval(sampler);
    for (const socket of held) socket.terminate();
    await server.kill();
  }
}

/** The soft limit on open files of this process (each held connection is one). */
function openFilesLimit(): number {
  const match = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match ? Number(match[1]) : 1024;
}

/**
 * `--load`: the prod caps all in use, with Node's default heap, with the old space capped alone,
 * and with the prod overlay's NODE_OPTIONS (old space and young generation capped).
 */
async function mainLoad(): Promise<void> {
  const { connections, inFlight } = PROD_LOAD;
  const mib = (bytes: number): string => `${(bytes / KIB / KIB).toFixed(1)} MiB`;
  const lines = ['| heap setting | peak RSS | RSS, all held | JS heap after GC, all held |', '|---|---|---|---|'];
  for (const [label, nodeArgs] of [
    ['Node default', []],
    [PROD_OLD_SPACE, [PROD_OLD_SPACE]],
    [`${PROD_OLD_SPACE} ${PROD_SEMI_SPACE} (prod overlay)`, [PROD_OLD_SPACE, PROD_SEMI_SPACE]],
  ] as const) {
    const { peakRss, heldRss, heap } = await underLoad(connections, inFlight, [...nodeArgs]);
    lines.push(`| ${label} | ${mib(peakRss)} | ${mib(heldRss)} | ${mib(heap)} |`);
  }
  process.stdout.write(
    `${connections} connections × ${inFlight} requests in flight (prod overlay caps; limit ${PROD_MEMORY_LIMIT_MIB}Mi)\n${lines.join('\n')}\n`,
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--load') return mainLoad();
  const counts = (process.argv[2] ?? '1000,5000,10000').split(',').map(Number);
  const measured: Held[] = [];
  for (const connections of counts) measured.push(await holdAndDrain(connections));
  // The largest count's cost per connection, as cost per connection shrinks with scale.
  const largest = measured[measured.length - 1]!;
  const perConnection = (largest.rss - largest.baseRss) / largest.connections;
  const fits = Math.floor((PROD_MEMORY_LIMIT_MIB * KIB * KIB - largest.baseRss) / perConnection);
  // This process holds every client socket: its file-descriptor limit may bind before memory does.
  const heldHere = Math.min(fits, openFilesLimit() - 500);
  measured.push(await holdAndDrain(heldHere));
  const requestCost = await perRequestInFlight(20_000);
  const mib = (bytes: number): string => `${(bytes / KIB / KIB).toFixed(1)} MiB`;
  const lines = [
    '| connections | server RSS | RSS per connection | JS heap per connection | drain, SIGTERM → exit |',
    '|---|---|---|---|---|',
    ...measured.map(
      ({ connections, baseRss, rss, baseHeap, heap, drainMs }, index) =>
        `| ${connections}${index === measured.length - 1 ? (connections === fits ? ` (fits ${PROD_MEMORY_LIMIT_MIB}Mi)` : ' (open-files limit)') : ''} | ${mib(rss)} | ` +
        `${((rss - baseRss) / connections / KIB).toFixed(1)} KiB | ${((heap - baseHeap) / connections / KIB).toFixed(1)} KiB | ${Math.round(drainMs)} ms |`,
    ),
    '',
    `base RSS (no connections): ${mib(largest.baseRss)}; RSS per request in flight: ${(requestCost / KIB).toFixed(2)} KiB`,
    `idle connections that fit the prod overlay's ${PROD_MEMORY_LIMIT_MIB}Mi at the ${largest.connections}-connection cost: ${fits}` +
      (heldHere < fits ? ` (held ${heldHere} here: this machine's open-files limit)` : ''),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
