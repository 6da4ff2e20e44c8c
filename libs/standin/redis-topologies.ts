import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { DelayProxy } from './delay-proxy.js';
import { ChildProgram } from './node-process.js';
import { freePort, RedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port,…` as the server's REDIS_SENTINELS and REDIS_CLUSTER_NODES take it. */
export const hostList = (hosts: HostPort[]): string => hosts.map(({ host, port }) => `${host}:${port}`).join(',');

/**
 * Polls `check` every 50 ms until it holds, for at most `timeoutMs`; rejects with `what` then.
 * For states that Redis and Sentinel reach on their own schedule and announce to nobody.
 */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withAdmin<T>(port: number, use: (admin: Redis) => Promise<T>): Promise<T> {
  const admin = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    return await use(admin);
  } finally {
    admin.disconnect();
  }
}

/** One field of a Redis INFO section. */
async function infoField(port: number, section: string, field: string): Promise<string | undefined> {
  const info = await withAdmin(port, (admin) => admin.info(section));
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** A `redis-server --sentinel` on loopback, its config in a folder of its own (Sentinel rewrites it). */
export class RedisSentinel extends ChildProgram {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    configFile: string,
  ) {
    super('redis-server', [configFile, '--sentinel']);
  }

  static async start(masterName: string, master: HostPort, failoverTimeoutMs: number): Promise<RedisSentinel> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-'));
    const configFile = join(dir, 'sentinel.conf');
    await writeFile(
      configFile,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} ${master.host} ${master.port} 2`,
        // 1 s (tried first) made a loaded 2-core machine fail over twice: a busy new master missed
        // its pings. 2 s keeps the failover quick without flapping.
        `sentinel down-after-milliseconds ${masterName} 2000`,
        `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = new RedisSentinel(port, dir, configFile);
    await sentinel.expectLine(/Sentinel ID is|Running mode=sentinel/);
    return sentinel;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Sentinel-watched master with replicas and three sentinels, all on loopback — what a
 * self-managed production Redis looks like. With `delayed`, the replicas replicate through a
 * `DelayProxy`, so a test can make them lag (`lagReplicas`) and then promote one; a node that
 * rejoins after a failover replicates through a proxy to the new master, so the group can lag
 * again. Sentinel "fixes" a replica that replicates through a proxy back to the real master
 * after `failover-timeout`; `lagReplicas` puts it back behind the proxy when it did.
 * With `appendOnly`, every node keeps an append-only file (fsync always): `restartMaster` then
 * loses nothing.
 */
export class RedisSentinelGroup {
  readonly masterName = 'gsmaster';
  /** The proxy every replica of the current master replicates through (`delayed` groups). */
  private proxy: DelayProxy | undefined;
  /** Data nodes stopped with SIGSTOP: they hold their connections open and answer nothing. */
  private readonly frozen = new Set<number>();

  private constructor(
    /** Every data node started, the first the initial master. */
    readonly nodes: RedisServer[],
    readonly sentinels: RedisSentinel[],
    private readonly dir: string,
    private readonly options: { delayed: boolean; appendOnly: boolean },
  ) {}

  static async start({
    replicas = 1,
    delayed = false,
    appendOnly = false,
    failoverTimeoutMs = 10 * 60_000,
  }: { replicas?: number; delayed?: boolean; appendOnly?: boolean; failoverTimeoutMs?: number } = {}): Promise<RedisSentinelGroup> {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-group-'));
    const group = new RedisSentinelGroup([], [], dir, { delayed, appendOnly });
    try {
      const master = await group.launchNode(0, undefined);
      group.nodes.push(master);
      for (let index = 1; index <= replicas; index++) group.nodes.push(await group.launchNode(index, await group.upstreamFor(master.port)));
      await until('the replicas to sync', async () => {
        for (const replica of group.nodes.slice(1))
          if ((await infoField(replica.port, 'replication', 'master_link_status')) !== 'up') return false;
        return Number(await infoField(master.port, 'replication', 'connected_slaves')) === replicas;
      });
      for (let index = 0; index < 3; index++) {
        group.sentinels.push(await RedisSentinel.start(group.masterName, { host: '127.0.0.1', port: master.port }, failoverTimeoutMs));
      }
      await group.whenSentinelsAgree(master.port, replicas);
      return group;
    } catch (err) {
      await group.stop();
      throw err;
    }
  }

  /** For REDIS_SENTINELS. */
  get sentinelHosts(): HostPort[] {
    return this.sentinels.map(({ port }) => ({ host: '127.0.0.1', port }));
  }

  /** Every process of the group (data nodes and sentinels) still running. */
  get pids(): number[] {
    return [...this.nodes, ...this.sentinels].filter((program) => program.running).map((program) => program.pid!);
  }

  /** Bytes the master sent its replicas that the proxy still holds. */
  get delayedBytes(): number {
    return this.proxy?.delayedBytes ?? 0;
  }

  /** The port of the master the sentinels name now. */
  async masterPort(): Promise<number> {
    const [, port] = await withAdmin(
      this.sentinels[0]!.port,
      (admin) => admin.call('SENTINEL', 'get-master-addr-by-name', this.masterName) as Promise<[string, string]>,
    );
    return Number(port);
  }

  /**
   * Where the group stands, for a failing test to print: the master each sentinel names, and each
   * data node's role, the master it follows and its link (or why it did not answer).
   */
  async describe(): Promise<string> {
    const named = await Promise.all(
      this.sentinels.map((sentinel) =>
        withAdmin(
          sentinel.port,
          (admin) => admin.call('SENTINEL', 'get-master-addr-by-name', this.masterName) as Promise<[string, string]>,
        ).then(
          ([, port]) => `sentinel ${sentinel.port} → ${port}`,
          (err: Error) => `sentinel ${sentinel.port}: ${err.message}`,
        ),
      ),
    );
    const nodes = await Promise.all(
      this.nodes.map(async (node) => {
        if (!node.running) return `node ${node.port}: not running`;
        if (this.frozen.has(node.port)) return `node ${node.port}: frozen`;
        try {
          const role = await infoField(node.port, 'replication', 'role');
          if (role === 'master') return `node ${node.port}: master`;
          const [port, link] = await Promise.all([
            infoField(node.port, 'replication', 'master_port'),
            infoField(node.port, 'replication', 'master_link_status'),
          ]);
          return `node ${node.port}: replica of ${port} (${link})`;
        } catch (err) {
          return `node ${node.port}: ${(err as Error).message}`;
        }
      }),
    );
    return [...named, ...nodes].join('; ');
  }

  /** The data node listening on `port`. */
  node(port: number): RedisServer {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`no data node on port ${port}`);
    return node;
  }

  /**
   * From now on the replicas receive what the master sends `ms` later (0: at once). A replica
   * that Sentinel re-pointed at the master itself is put back behind the proxy first.
   */
  async lagReplicas(ms: number): Promise<void> {
    if (!this.options.delayed) throw new Error('lagReplicas needs a group started with delayed: true');
    const master = await this.masterPort();
    const proxyPort = await this.upstreamFor(master);
    for (const node of this.nodes.filter((candidate) => candidate.port !== master && candidate.running)) {
      if (Number(await infoField(node.port, 'replication', 'master_port')) === proxyPort) continue;
      await withAdmin(node.port, (admin) => admin.call('REPLICAOF', '127.0.0.1', String(proxyPort)));
      await this.whenReplicating(node.port);
    }
    this.proxy!.setDelay(ms);
  }

  /**
   * SIGKILLs the master and resolves with the port of the replica the sentinels promoted, once
   * that replica accepts writes.
   */
  async killMasterAndAwaitPromotion(): Promise<number> {
    const old = await this.masterPort();
    await this.node(old).kill();
    return this.promotionFrom(old);
  }

  /**
   * Freezes the master (SIGSTOP), as a paused VM or a network partition does: its connections
   * stay open and nothing answers on them, so only Sentinel's `+switch-master` tells a client to
   * move. Resolves with the port of the replica the sentinels promoted; the old master stays
   * frozen until `stop()`.
   */
  async freezeMasterAndAwaitPromotion(): Promise<number> {
    const old = await this.masterPort();
    this.frozen.add(old);
    this.node(old).signal('SIGSTOP');
    return this.promotionFrom(old);
  }

  /**
   * Starts the (killed) node on `port` again, empty as a Redis without persistence comes back,
   * as a replica of the current master (through the proxy in a `delayed` group), and resolves
   * once it replicates.
   */
  async restartNode(port: number): Promise<void> {
    const index = this.nodes.findIndex((node) => node.port === port);
    const master = await this.masterPort();
    this.nodes[index] = await this.launchNode(index, await this.upstreamFor(master), { port, empty: true });
    await this.whenReplicating(port);
  }

  /**
   * Stops the master (SIGTERM) and starts it again on its port with what its append-only file
   * holds, quicker than Sentinel's down-after: no failover, nothing lost (`appendOnly` groups).
   * Resolves once a replica has synced with it again (a restarted master has a new replication
   * ID, so that is a full sync).
   */
  async restartMaster(): Promise<void> {
    if (!this.options.appendOnly) throw new Error('restartMaster needs a group started with appendOnly: true');
    const port = await this.masterPort();
    const index = this.nodes.findIndex((node) => node.port === port);
    await this.nodes[index]!.stop();
    this.nodes[index] = await this.launchNode(index, undefined, { port, empty: false });
    if (this.nodes.length > 1) await this.whenMasterHasReplica(port);
  }

  /**
   * Every data node crashes and comes back empty in its role: what a Redis deployment without
   * persistence does when it loses its pods. No replica is left to fail over to.
   */
  async loseEverything(): Promise<void> {
    const master = await this.masterPort();
    await Promise.all(this.nodes.map((node) => node.kill()));
    const masterIndex = this.nodes.findIndex((node) => node.port === master);
    this.nodes[masterIndex] = await this.launchNode(masterIndex, undefined, { port: master, empty: true });
    const upstream = await this.upstreamFor(master);
    for (const [index, node] of this.nodes.entries()) {
      if (index !== masterIndex) this.nodes[index] = await this.launchNode(index, upstream, { port: node.port, empty: true });
    }
    for (const node of this.nodes) if (node.port !== master) await this.whenReplicating(node.port);
  }

  /** Resolves once the master on `port` has a replica online again (a promoted one needs its first sync). */
  async whenMasterHasReplica(port: number): Promise<void> {
    await until(
      'the new master to have a replica online',
      async () => /^slave\d+:.*state=online/m.test(await withAdmin(port, (admin) => admin.info('replication'))),
      60_000,
    );
  }

  /** Sentinel's own graceful failover (the master is alive and its replica in sync): resolves with the new master's port. */
  async failover(): Promise<number> {
    const old = await this.masterPort();
    await withAdmin(this.sentinels[0]!.port, (admin) => admin.call('SENTINEL', 'FAILOVER', this.masterName));
    let promoted = old;
    await until('a Sentinel failover', async () => {
      promoted = await this.masterPort();
      return promoted !== old && (await infoField(promoted, 'replication', 'role')) === 'master';
    });
    return promoted;
  }

  async stop(): Promise<void> {
    await Promise.all([
      ...this.sentinels.map((sentinel) => sentinel.stop()),
      ...this.nodes.map((node) => node.kill()),
      this.proxy?.close(),
    ]);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Resolves with the master the sentinels name instead of `old`, once it accepts writes. */
  private async promotionFrom(old: number): Promise<number> {
    let promoted = old;
    await until(
      'Sentinel to promote a replica',
      async () => {
        promoted = await this.masterPort();
        return promoted !== old && (await infoField(promoted, 'replication', 'role')) === 'master';
      },
      60_000,
    );
    return promoted;
  }

  /** The port a replica of the master on `masterPort` replicates from: that master's, or a proxy to it. */
  private async upstreamFor(masterPort: number): Promise<number> {
    if (!this.options.delayed) return masterPort;
    if (this.proxy?.target.port !== masterPort) {
      await this.proxy?.close();
      this.proxy = await DelayProxy.start({ host: '127.0.0.1', port: masterPort });
    }
    return this.proxy.port;
  }

  /**
   * Data node `index` on `port` (a free one if none), a master or a replica of `upstream`, in a
   * folder of its own (replicas write the master's snapshot there; `appendOnly` keeps its file).
   */
  private async launchNode(
    index: number,
    upstream: number | undefined,
    { port, empty }: { port?: number; empty: boolean } = { empty: true },
  ): Promise<RedisServer> {
    const dir = join(this.dir, `node-${index}`);
    if (empty) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const replicaOf = upstream === undefined ? [] : ['--replicaof', '127.0.0.1', String(upstream)];
    return this.options.appendOnly
      ? RedisServer.launch({ port, appendOnlyDir: dir, args: replicaOf })
      : RedisServer.launch({ port, args: ['--dir', dir, ...replicaOf] });
  }

  private whenReplicating(port: number): Promise<void> {
    return until(
      'the node to replicate from the master',
      async () => (await infoField(port, 'replication', 'master_link_status')) === 'up',
      60_000,
    );
  }

  /** Every sentinel knows the master, its replicas and the two other sentinels: a failover can be authorized. */
  private whenSentinelsAgree(masterPort: number, replicas: number): Promise<void> {
    return until('the sentinels to find each other and the replicas', async () => {
      for (const sentinel of this.sentinels) {
        const fields = await withAdmin(sentinel.port, (admin) => admin.call('SENTINEL', 'MASTER', this.masterName) as Promise<string[]>);
        const value = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
        if (Number(value('port')) !== masterPort || Number(value('num-slaves')) !== replicas || Number(value('num-other-sentinels')) !== 2)
          return false;
      }
      return true;
    });
  }
}

/**
 * A Redis Cluster on loopback: `masters` shards with `replicasPerMaster` replicas each, built
 * with `redis-cli --cluster create`. A killed master is replaced by its replica after
 * `cluster-node-timeout` (1 s here).
 */
export class RedisClusterGroup {
  /** Nodes stopped with SIGSTOP: they hold their connections open and answer nothing. */
  private readonly frozen = new Set<number>();

  private constructor(
    readonly nodes: RedisServer[],
    private readonly dir: string,
  ) {}

  static async start({
    masters = 3,
    replicasPerMaster = 1,
  }: { masters?: number; replicasPerMaster?: number } = {}): Promise<RedisClusterGroup> {
    const dir = await mkdtemp(join(tmpdir(), 'cluster-'));
    const nodes: RedisServer[] = [];
    try {
      for (let index = 0; index < masters * (1 + replicasPerMaster); index++) {
        const port = await freePort();
        nodes.push(
          await RedisServer.launch({
            port,
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              join(dir, `nodes-${port}.conf`),
              '--cluster-node-timeout',
              '1000',
              '--dir',
              dir,
            ],
          }),
        );
      }
      await run('redis-cli', [
        '--cluster',
        'create',
        ...nodes.map(({ port }) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        String(replicasPerMaster),
        '--cluster-yes',
      ]);
      const group = new RedisClusterGroup(nodes, dir);
      await group.whenHealthy();
      return group;
    } catch (err) {
      await Promise.all(nodes.map((node) => node.kill()));
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** For REDIS_CLUSTER_NODES: every node that answers (a client needs one that does). */
  get seeds(): HostPort[] {
    return this.nodes.filter((node) => node.running && !this.frozen.has(node.port)).map(({ port }) => ({ host: '127.0.0.1', port }));
  }

  /** The port of the master that owns `key`'s slot now. */
  async masterOf(key: string): Promise<number> {
    return withAdmin(this.seeds[0]!.port, async (admin) => {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node owns slot ${slot}`);
      return range[2][1];
    });
  }

  /** The ports of the masters now. */
  async masters(): Promise<number[]> {
    return withAdmin(this.seeds[0]!.port, async (admin) => {
      const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
      return [...new Set(ranges.map((range) => range[2][1]))];
    });
  }

  /** SIGKILLs the master owning `key` and resolves with its successor's port once the cluster is whole again. */
  async killMasterOf(key: string): Promise<number> {
    const old = await this.masterOf(key);
    await this.nodes.find(({ port }) => port === old)!.kill();
    return this.promotionFor(key, old);
  }

  /**
   * Freezes the master of `key`'s slot (SIGSTOP), as a paused VM or a network partition does: its
   * connections stay open and nothing answers on them. Resolves with the port of the replica the
   * cluster promoted; the old master stays frozen until `stop()`.
   */
  async freezeMasterOf(key: string): Promise<number> {
    const old = await this.masterOf(key);
    this.frozen.add(old);
    this.nodes.find(({ port }) => port === old)!.signal('SIGSTOP');
    return this.promotionFor(key, old);
  }

  /** Starts the (killed) node on `port` again with its cluster config: it rejoins as a replica of its old shard. */
  async restartNode(port: number): Promise<void> {
    const index = this.nodes.findIndex((node) => node.port === port);
    this.nodes[index] = await this.nodes[index]!.restart();
    await this.whenHealthy();
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Resolves with the master that owns `key`'s slot instead of `old`, once the cluster is ok. */
  private async promotionFor(key: string, old: number): Promise<number> {
    let promoted = old;
    await until(
      'the cluster to promote a replica',
      async () => {
        promoted = await this.masterOf(key);
        return promoted !== old && (await this.isHealthy());
      },
      60_000,
    );
    return promoted;
  }

  private async isHealthy(): Promise<boolean> {
    for (const { port } of this.seeds) {
      if ((await infoFieldOfCluster(port)) !== 'ok') return false;
    }
    return true;
  }

  /** Cluster state ok everywhere, and every replica's link to its master up (synced: WAIT can count it). */
  private whenHealthy(): Promise<void> {
    return until('the cluster to be ok on every node and every replica synced', async () => {
      if (!(await this.isHealthy())) return false;
      for (const { port } of this.seeds) {
        if (
          (await infoField(port, 'replication', 'role')) === 'slave' &&
          (await infoField(port, 'replication', 'master_link_status')) !== 'up'
        )
          return false;
      }
      return true;
    });
  }
}

async function infoFieldOfCluster(port: number): Promise<string | undefined> {
  const info = await withAdmin(port, (admin) => admin.call('CLUSTER', 'INFO') as Promise<string>);
  return /^cluster_state:(\w+)/m.exec(info)?.[1];
}
