/**
 * `npm run bench`: the product against a raw-`ws` floor (bench/floor-server.ts, same frames on
 * the wire), and for fan-out also against Socket.IO 4 (bench/socketio-server.ts), in the same run, interleaved and repeated, because only ratios measured side by side
 * mean anything on a noisy machine. Prints a table of product, floor and ratio, and writes it as
 * JSON and Markdown with a chart. Asserts no speed; it fails only when a correctness check does
 * (a drain that loses a frame or closes with anything but 1001).
 *
 *   npm run bench [-- --quick] [--repeats N] [--out DIR] [--only acceptCpu,holdAndDrain,move,moveHonouringJitter,fanOut,clientMemory]
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ClientProcess, listeningPort, NodeProcess, ServerProcess } from '@app/standin';
import { summarizeGaps } from '@app/contract';
import { gracefulSubscriber, socketIoSubscriber, type FanOutSubscriber } from './fanout-subscriber.js';
import { BenchConnection, cpuMs, heapUsedAfterGc, listenOverflows, openConnections, quiet, rssBytes } from './probes.js';
import { writeBenchReport, type BenchRow } from './report.js';

/** The product, the raw-`ws` floor, and (fan-out only) the peer users would otherwise pick: Socket.IO 4. */
type Kind = 'product' | 'floor' | 'peer';
const FLOOR_SERVER = resolve('dist/bench/floor-server.js');
const PEER_SERVER = resolve('dist/bench/socketio-server.js');
const FLOOR_CLIENT = resolve('dist/bench/floor-client.js');

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, repeats: { type: 'string' }, out: { type: 'string' }, only: { type: 'string' } },
});
const quick = args.quick === true;
const sizes = quick
  ? { accept: 200, idle: 500, move: 200, clients: 100, subscribers: 100, publishes: 50, paced: 10, repeats: 1 }
  : { accept: 1000, idle: 5000, move: 2000, clients: 1000, subscribers: 1000, publishes: 200, paced: 40, repeats: 3 };
const repeats = args.repeats === undefined ? sizes.repeats : Number(args.repeats);

const progress = (text: string): void => {
  process.stderr.write(`\r\u001b[K${text}`);
};

interface ServerUnderTest {
  server: NodeProcess;
  url: string;
  pid: number;
  /** Its inspector, for `heapUsedAfterGc`. */
  inspectorUrl: string;
}

/** Either server, as shipped: the product with the manifests' logging, the floor as it is. */
async function startServer(kind: Kind, env: Record<string, string> = {}): Promise<ServerUnderTest> {
  const common = { PORT: '0', DATA_INTERVAL_MS: '60000', DRAIN_TIMEOUT_MS: '30000', ...env };
  const inspect = ['--inspect=127.0.0.1:0'];
  const server =
    kind === 'product'
      ? ServerProcess.spawn({ ...common, LOG_LEVEL: 'log', MAX_CONNECTIONS: '1000000' }, inspect)
      : new NodeProcess(kind === 'floor' ? FLOOR_SERVER : PEER_SERVER, common, [], inspect);
  const inspectorUrl = (await server.expectLine(/Debugger listening on (ws:\S+)/))[1]!;
  const port = await listeningPort(server);
  return { server, url: `ws://127.0.0.1:${port}/ws`, pid: server.pid as number, inspectorUrl };
}

/** Server CPU per accepted connection (to `hello`): in a fresh process, then again once warm. */
async function acceptCpu(kind: Kind): Promise<Record<string, number>> {
  const { server, url, pid } = await startServer(kind);
  try {
    const perConnection = async (label: string): Promise<number> => {
      await quiet(pid);
      const before = cpuMs(pid);
      const held = await openConnections(url, sizes.accept, (open) => progress(`${kind} accept (${label}): ${open}/${sizes.accept}`));
      const used = (cpuMs(pid) - before) / sizes.accept;
      await Promise.all(held.map((connection) => (connection.socket.terminate(), connection.closed)));
      return used;
    };
    return { acceptCpuFreshMs: await perConnection('fresh'), acceptCpuWarmMs: await perConnection('warm') };
  } finally {
    await server.kill();
  }
}

/** JS heap and resident memory per idle connection with `idle` held, then their drain: SIGTERM → exit. */
async function holdAndDrain(kind: Kind): Promise<Record<string, number>> {
  const { server, url, pid, inspectorUrl } = await startServer(kind);
  try {
    const warm = new BenchConnection(url);
    await warm.hello;
    warm.socket.terminate();
    await warm.closed;
    const heapBefore = await heapUsedAfterGc(inspectorUrl);
    const before = rssBytes(pid);
    const held = await openConnections(url, sizes.idle, (open) => progress(`${kind} idle: ${open}/${sizes.idle}`));
    const heapPerConnectionKiB = ((await heapUsedAfterGc(inspectorUrl)) - heapBefore) / sizes.idle / 1024;
    const rssPerConnectionKiB = (rssBytes(pid) - before) / sizes.idle / 1024;
    progress(`${kind} drain of ${sizes.idle}`);
    const signalledAt = performance.now();
    server.signal('SIGTERM');
    const exit = await server.exited;
    const drainMs = performance.now() - signalledAt;
    const closes = await Promise.all(held.map((connection) => connection.closed));
    const wrongCloses = closes.filter(({ code }) => code !== 1001).length;
    const seqGaps = held.reduce((sum, connection) => sum + connection.seqGaps, 0);
    if (exit.code !== 0 || wrongCloses > 0 || seqGaps > 0) {
      throw new Error(`${kind} drain failed: exit ${JSON.stringify(exit)}, ${wrongCloses} closes other than 1001, ${seqGaps} seq gaps`);
    }
    return { heapPerConnectionKiB, rssPerConnectionKiB, drainMs };
  } finally {
    await server.kill();
  }
}

/**
 * `move` clients leave a drained replica for a fresh one: close → `hello` on the new replica per
 * client, failed attempts, and listen-queue overflows. `honourJitter`: each client reconnects at a
 * random moment of the window the drain notice advised, counted from the notice, as the client
 * app does; otherwise each comes back the moment it is closed.
 */
async function moveClients(
  kind: Kind,
  honourJitter: boolean,
): Promise<{ p50: number; p99: number; max: number; failed: number; overflows: number; acceptCpuMs: number }> {
  const from = await startServer(kind);
  const to = await startServer(kind);
  try {
    const held = await openConnections(from.url, sizes.move, (open) => progress(`${kind} move: ${open}/${sizes.move} connected`));
    const overflowsBefore = listenOverflows();
    await quiet(to.pid);
    const cpuBefore = cpuMs(to.pid);
    let failed = 0;
    const gaps = held.map(async (connection) => {
      const { at } = await connection.closed;
      const { notice } = connection;
      if (honourJitter && notice) await delay(Math.max(0, notice.at + Math.random() * notice.jitterMs - performance.now()));
      for (;;) {
        const next = new BenchConnection(to.url);
        try {
          const helloAt = await next.hello;
          return helloAt - at;
        } catch {
          failed++;
          next.socket.terminate();
        }
      }
    });
    from.server.signal('SIGTERM');
    // The same nearest-rank figures the client's summary reports.
    const { p50, p99, max } = summarizeGaps(await Promise.all(gaps));
    const acceptCpuMs = (cpuMs(to.pid) - cpuBefore) / sizes.move;
    return { p50: p50!, p99: p99!, max: max!, failed, overflows: listenOverflows() - overflowsBefore, acceptCpuMs };
  } finally {
    await Promise.all([from.server.kill(), to.server.kill()]);
  }
}

/** All of a drained replica's clients come back at once, ignoring the advised jitter. */
async function move(kind: Kind): Promise<Record<string, number>> {
  const { p50, p99, max, failed, overflows, acceptCpuMs } = await moveClients(kind, false);
  return {
    moveGapP50Ms: p50,
    moveGapP99Ms: p99,
    moveGapMaxMs: max,
    moveFailedReconnects: failed,
    moveListenOverflows: overflows,
    moveAcceptCpuMs: acceptCpuMs,
  };
}

/** The same move with every client honouring the advised jitter window. */
async function moveHonouringJitter(kind: Kind): Promise<Record<string, number>> {
  const { p50, p99, max, failed, overflows } = await moveClients(kind, true);
  return {
    jitteredMoveGapP50Ms: p50,
    jitteredMoveGapP99Ms: p99,
    jitteredMoveGapMaxMs: max,
    jitteredMoveFailedReconnects: failed,
    jitteredMoveListenOverflows: overflows,
  };
}

const MILESTONES = ['subscribed', 'burst', 'all'] as const;
type Milestone = (typeof MILESTONES)[number];

/** Publishes a stream-bench entry every `PACED_PUBLISH_INTERVAL_MS` in the latency phase: well under what either server delivers. */
const PACED_PUBLISH_INTERVAL_MS = 50;

/**
 * Stream fan-out: `subscribers` connections on one channel and one publisher. First `publishes`
 * entries sent at once: messages delivered per second (first publish sent → last message
 * received by every subscriber). Then `paced` entries, one per 50 ms (1 000 subscribers × 20/s in
 * a full run): publish → receipt per message, without a queue of its own making, and the
 * server's CPU per delivered message. The product runs its memory backend with its inbound
 * limits out of the way: this measures the fan-out, not the budget. Its subscribers (and the
 * floor's) ack every 100 ms as `GracefulClient` does; Socket.IO's have nothing to ack.
 */
async function fanOut(kind: Kind): Promise<Record<string, number>> {
  const { server, url, pid } = await startServer(kind, {
    MAX_IN_FLIGHT: '100000',
    INBOUND_FRAMES_PER_SEC: '1000000',
    INBOUND_BYTES_PER_SEC: '1000000000',
  });
  const connect = kind === 'peer' ? socketIoSubscriber : gracefulSubscriber;
  const opened: FanOutSubscriber[] = [];
  try {
    const total = sizes.publishes + sizes.paced;
    const latencies: number[] = [];
    let outOfOrder = 0;
    /** One subscriber, subscribed, and the moments it reaches the end of the burst and the last offset. */
    const subscriber = async (): Promise<Record<Milestone, Promise<void>>> => {
      let lastOffset = 0;
      const reach: Partial<Record<Milestone, () => void>> = {};
      const marks = Object.fromEntries(MILESTONES.map((name) => [name, new Promise<void>((resolve) => (reach[name] = resolve))])) as Record<
        Milestone,
        Promise<void>
      >;
      const connection = await connect(url, (offset, payload) => {
        if (offset !== lastOffset + 1) outOfOrder++;
        lastOffset = offset;
        if (lastOffset > sizes.publishes) latencies.push(performance.now() - payload.sentAt);
        if (lastOffset === sizes.publishes) reach.burst!();
        if (lastOffset === total) reach.all!();
      });
      opened.push(connection);
      await connection.subscribe('bench');
      return marks;
    };
    const milestones: Record<Milestone, Promise<void>>[] = [];
    // In batches, so the accept queue is not what is measured.
    while (milestones.length < sizes.subscribers) {
      milestones.push(...(await Promise.all(Array.from({ length: Math.min(200, sizes.subscribers - milestones.length) }, subscriber))));
      progress(`${kind} fan-out: ${milestones.length}/${sizes.subscribers} subscribed`);
    }
    const reached = (milestone: Milestone): Promise<void[]> => Promise.all(milestones.map((marks) => marks[milestone]));
    const publisher = await connect(url, () => undefined);
    opened.push(publisher);
    const publish = (id: string): void => publisher.publish('bench', id, { sentAt: performance.now() });
    progress(`${kind} fan-out: ${sizes.publishes} publishes at once to ${sizes.subscribers}`);
    await quiet(pid);
    const startedAt = performance.now();
    const burstCpuBefore = cpuMs(pid);
    for (let index = 0; index < sizes.publishes; index++) publish(`burst-${index}`);
    await reached('burst');
    const burstMs = performance.now() - startedAt;
    const burstCpuMs = cpuMs(pid) - burstCpuBefore;
    progress(`${kind} fan-out: ${sizes.paced} publishes, one per ${PACED_PUBLISH_INTERVAL_MS} ms`);
    const pacedCpuBefore = cpuMs(pid);
    for (let index = 0; index < sizes.paced; index++) {
      publish(`paced-${index}`);
      await delay(PACED_PUBLISH_INTERVAL_MS);
    }
    await reached('all');
    const pacedCpuMs = cpuMs(pid) - pacedCpuBefore;
    if (outOfOrder > 0) throw new Error(`${kind} fan-out: ${outOfOrder} messages out of offset order`);
    const { p50, p99 } = summarizeGaps(latencies.map(Math.round));
    const perMessageUs = (cpu: number, messages: number): number => (cpu * 1000) / (messages * sizes.subscribers);
    return {
      fanOutMessagesPerSec: (sizes.publishes * sizes.subscribers) / (burstMs / 1000),
      fanOutBurstCpuPerMessageUs: perMessageUs(burstCpuMs, sizes.publishes),
      fanOutCpuPerMessageUs: perMessageUs(pacedCpuMs, sizes.paced),
      fanOutLatencyP50Ms: p50!,
      fanOutLatencyP99Ms: p99!,
    };
  } finally {
    for (const connection of opened) connection.close();
    await server.kill();
  }
}

/** The client app's JS heap and resident memory per virtual client (N clients minus 1), against a floor server. */
async function clientMemory(kind: Kind): Promise<Record<string, number>> {
  const { server, url } = await startServer('floor');
  try {
    const memoryWith = async (clients: number): Promise<{ heap: number; rss: number }> => {
      const env = { SERVER_URL: url, CLIENTS: String(clients) };
      const inspect = ['--inspect=127.0.0.1:0'];
      const client =
        kind === 'product'
          ? ClientProcess.spawn({ ...env, REQUEST_INTERVAL_MS: '0', STATS_INTERVAL_MS: '200' }, inspect)
          : new NodeProcess(FLOOR_CLIENT, env, [], inspect);
      try {
        const inspectorUrl = (await client.expectLine(/Debugger listening on (ws:\S+)/))[1]!;
        await client.expectEvent('client_stats', (stats) => stats.connected === clients);
        return { heap: await heapUsedAfterGc(inspectorUrl), rss: rssBytes(client.pid as number) };
      } finally {
        await client.kill();
      }
    };
    const one = await memoryWith(1);
    const many = await memoryWith(sizes.clients);
    const per = (bytes: number): number => bytes / (sizes.clients - 1) / 1024;
    return { clientHeapPerVirtualClientKiB: per(many.heap - one.heap), clientRssPerVirtualClientKiB: per(many.rss - one.rss) };
  } finally {
    await server.kill();
  }
}

const ALL_SCENARIOS = [acceptCpu, holdAndDrain, move, moveHonouringJitter, fanOut, clientMemory];
/** `--only` runs some of them: a quicker before/after of one change. */
const SCENARIOS =
  args.only === undefined
    ? ALL_SCENARIOS
    : args.only.split(',').map((name) => {
        const scenario = ALL_SCENARIOS.find((candidate) => candidate.name === name.trim());
        if (!scenario)
          throw new Error(`--only: no scenario "${name}" (there are ${ALL_SCENARIOS.map((candidate) => candidate.name).join(', ')})`);
        return scenario;
      });
/** A scenario that has not finished by then is stuck, not slow: fail the run loudly. */
const SCENARIO_DEADLINE_MS = 5 * 60_000;

function withDeadline<T>(name: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish within ${SCENARIO_DEADLINE_MS / 1000} s`)), SCENARIO_DEADLINE_MS);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const runs: Record<Kind, Record<string, number>[]> = { product: [], floor: [], peer: [] };
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const scenario of SCENARIOS) {
      // Interleaved, alternating which goes first, so drift in the machine hits all alike.
      const order: Kind[] = repeat % 2 === 0 ? ['product', 'floor'] : ['floor', 'product'];
      if (scenario === fanOut) order.splice(repeat % 2, 0, 'peer');
      for (const kind of order)
        runs[kind][repeat] = { ...runs[kind][repeat], ...(await withDeadline(`${scenario.name} (${kind})`, scenario(kind))) };
    }
  }
  progress('');
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
  const rows: BenchRow[] = Object.keys(runs.product[0]!).map((metric) => {
    const peer = runs.peer.map((run) => run[metric]).filter((value) => value !== undefined);
    return {
      metric,
      product: median(runs.product.map((run) => run[metric]!)),
      floor: median(runs.floor.map((run) => run[metric]!)),
      ...(peer.length > 0 ? { peer: median(peer) } : {}),
    };
  });
  // Whether honouring the advice pays: the same move's p99 with the jitter over without it, per server.
  const ignored = rows.find((row) => row.metric === 'moveGapP99Ms');
  const honoured = rows.find((row) => row.metric === 'jitteredMoveGapP99Ms');
  if (ignored && honoured) {
    rows.push({
      metric: 'jitterHonouredOverIgnoredP99',
      product: honoured.product / ignored.product,
      floor: honoured.floor / ignored.floor,
    });
  }
  const out = args.out ?? join('reports', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(out, { recursive: true });
  const table = writeBenchReport(out, rows, { quick, repeats, sizes });
  process.stdout.write(`${table}\nwritten to ${out}/bench.md, bench.json, bench.svg\n`);
}

main().then(
  // Servers and clients of a failed scenario may still run: the exit ends them with the run.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
