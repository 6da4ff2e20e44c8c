/**
 * `npm run bench:redis`: what the stream backend costs Redis, and how it spreads over a Cluster —
 * one standalone Redis and a 3-shard Cluster (1 replica each) measured in the same run, each
 * behind the built server: `channels` connections each publish `publishes` entries to a channel
 * of their own (each `published` awaited before the next), while one connection follows every
 * channel, so every entry is also fanned out live. Read from Redis itself (INFO), per master:
 * keys, commands executed (scripts' inner commands included), client round trips, bytes sent.
 * Prints the table and writes it as JSON; asserts nothing about speed.
 *
 *   npm run bench:redis [-- --quick] [--out DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hostList, RedisClusterGroup, RedisServer, ServerProcess } from '@app/standin';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
const sizes = args.quick === true ? { channels: 12, publishes: 20 } : { channels: 60, publishes: 200 };

interface NodeStats {
  keys: number;
  /** Every command executed, those a script ran included (INFO commandstats). */
  commands: number;
  /** What the backend sends per publish: script calls and WAITs (each a round trip, or part of a pipeline). */
  calls: number;
  outputBytes: number;
}

async function nodeStats(port: number): Promise<NodeStats> {
  const admin = new Redis(port, '127.0.0.1');
  try {
    const [commandstats, stats, keys] = await Promise.all([admin.info('commandstats'), admin.info('stats'), admin.dbsize()]);
    const calls = (pattern: RegExp): number => [...commandstats.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
    const outputBytes = Number(/^total_net_output_bytes:(\d+)/m.exec(stats)?.[1] ?? 0);
    return {
      keys,
      commands: calls(/^cmdstat_[^:]+:calls=(\d+)/gm),
      calls: calls(/^cmdstat_(?:evalsha|eval|wait):calls=(\d+)/gm),
      outputBytes,
    };
  } finally {
    admin.disconnect();
  }
}

/** A graceful.v2 connection that answers the drain and resolves frames by type. */
function open(url: string): Promise<{ socket: WebSocket; on: (type: string, handle: (frame: Record<string, unknown>) => void) => void }> {
  const socket = new WebSocket(url, 'graceful.v2', { perMessageDeflate: false });
  const handlers = new Map<string, (frame: Record<string, unknown>) => void>();
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    handlers.get(frame.type as string)?.(frame);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('message', () => resolve({ socket, on: (type, handle) => handlers.set(type, handle) }));
  });
}

interface Result {
  topology: string;
  publishesPerSec: number;
  commandsPerPublish: number;
  callsPerPublish: number;
  /** Keys the run added, per master. */
  keysPerMaster: number[];
  liveBytesPerMaster: number[];
}

/** `promise`, or a rejection saying where the run stands once `ms` passed without it. */
async function within<T>(promise: Promise<T>, ms: number, where: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_resolve, reject) => (timer = setTimeout(() => reject(new Error(`stuck after ${ms} ms: ${where()}`)), ms)),
  );
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Long enough for the slowest topology on a loaded machine; a run past it is stuck, and says where. */
const STAGE_LIMIT_MS = 20_000;

async function measure(topology: string, env: Record<string, string>, masters: () => Promise<number[]>): Promise<Result> {
  const server = ServerProcess.spawn({ DATA_INTERVAL_MS: '3600000', STREAM_BACKEND: 'redis', ...env });
  try {
    const port = await server.listening();
    const url = `ws://127.0.0.1:${port}/ws`;
    // Fresh names for every measurement: the same ids on the same channels would only be deduplicated.
    const run = Date.now().toString(36);
    const channels = Array.from({ length: sizes.channels }, (_, index) => `bench.${run}.${index}`);
    const follower = await open(url);
    let received = 0;
    const all = sizes.channels * sizes.publishes;
    const everything = new Promise<void>((resolve) => follower.on('message', () => ++received === all && resolve()));
    let subscribed = 0;
    const ready = new Promise<void>((resolve) => follower.on('subscribed', () => ++subscribed === channels.length && resolve()));
    const subscribe = (channel: string): void => follower.socket.send(JSON.stringify({ type: 'subscribe', channel }));
    // UNAVAILABLE (a shard's connection not up yet) means "send it again", as a client does.
    follower.on('error', (frame) => frame.code === 'UNAVAILABLE' && typeof frame.channel === 'string' && subscribe(frame.channel));
    for (const channel of channels) subscribe(channel);
    const where = (): string => `${topology}: ${subscribed}/${channels.length} subscribed, ${received}/${all} entries received`;
    await within(ready, STAGE_LIMIT_MS, where);
    const before = await Promise.all((await masters()).map(nodeStats));
    const publishers = await Promise.all(channels.map(() => open(url)));
    const started = performance.now();
    await within(
      Promise.all(
        publishers.map(async ({ socket, on }, index) => {
          for (let n = 1; n <= sizes.publishes; n++) {
            const publish = (): void =>
              socket.send(JSON.stringify({ type: 'publish', id: `p${n}`, channel: channels[index], payload: { n } }));
            const confirmed = new Promise<void>((resolve) => on('published', () => resolve()));
            on('error', (frame) => frame.code === 'UNAVAILABLE' && publish());
            publish();
            await confirmed;
          }
        }),
      ),
      STAGE_LIMIT_MS,
      where,
    );
    const elapsedMs = performance.now() - started;
    await within(everything, STAGE_LIMIT_MS, where);
    const after = await Promise.all((await masters()).map(nodeStats));
    for (const { socket } of [follower, ...publishers]) socket.terminate();
    const delta = (pick: (stats: NodeStats) => number): number[] => after.map((stats, index) => pick(stats) - pick(before[index]!));
    const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
    return {
      topology,
      publishesPerSec: Math.round((all / elapsedMs) * 1000),
      commandsPerPublish: sum(delta((stats) => stats.commands)) / all,
      callsPerPublish: sum(delta((stats) => stats.calls)) / all,
      keysPerMaster: delta((stats) => stats.keys),
      liveBytesPerMaster: delta((stats) => stats.outputBytes),
    };
  } finally {
    await server.kill();
  }
}

const spread = (values: number[]): string => (Math.min(...values) > 0 ? (Math.max(...values) / Math.min(...values)).toFixed(2) : '∞');

async function main(): Promise<void> {
  const redis = await RedisServer.start();
  const cluster = await RedisClusterGroup.start();
  const results: Result[] = [];
  try {
    results.push(await measure('one Redis', { REDIS_URL: redis.url }, () => Promise.resolve([redis.port])));
    const nodes = hostList(cluster.seeds);
    results.push(await measure('Cluster, 3 shards', { REDIS_CLUSTER_NODES: nodes }, () => cluster.masters()));
    results.push(
      await measure('Cluster, 3 shards, PUBLISH_MIN_REPLICAS=1', { REDIS_CLUSTER_NODES: nodes, PUBLISH_MIN_REPLICAS: '1' }, () =>
        cluster.masters(),
      ),
    );
  } finally {
    await Promise.all([redis.stop(), cluster.stop()]);
  }
  const lines = [
    `Stream backend on Redis: ${sizes.channels} channels × ${sizes.publishes} publishes (each awaited), one follower of every channel`,
    '',
    '| topology | publishes/s | Redis commands / publish | script calls + WAITs / publish | keys added per master (max ÷ min) | bytes sent per master, replication included (max ÷ min) |',
    '|---|---|---|---|---|---|',
    ...results.map(
      (result) =>
        `| ${result.topology} | ${result.publishesPerSec} | ${result.commandsPerPublish.toFixed(1)} | ${result.callsPerPublish.toFixed(2)} | ` +
        `${result.keysPerMaster.join(' / ')} (${spread(result.keysPerMaster)}) | ${result.liveBytesPerMaster.join(' / ')} (${spread(result.liveBytesPerMaster)}) |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.out !== undefined) {
    mkdirSync(args.out, { recursive: true });
    writeFileSync(join(args.out, 'redis-shards.json'), `${JSON.stringify({ quick: args.quick, sizes, results }, null, 2)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
