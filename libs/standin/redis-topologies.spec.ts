import { Redis } from 'ioredis';
import { RedisSentinelGroup, until } from './redis-topologies.js';

/*
 * The soak inflicts Redis faults one after another on one Sentinel group, in any order: each
 * must leave the group whole (a master the sentinels name, a replica synced to it, the lag
 * controllable again) for the next — whatever the previous one did to who is master.
 */
describe('RedisSentinelGroup under repeated faults', () => {
  let group: RedisSentinelGroup;
  let client: Redis;
  afterEach(async () => {
    client?.disconnect();
    await group?.stop();
  });

  const roles = async (): Promise<string[]> =>
    Promise.all(
      group.nodes.map(async (node) => {
        const admin = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await admin.connect();
          return /^role:(\w+)/m.exec(await admin.info('replication'))?.[1] ?? '?';
        } finally {
          admin.disconnect();
        }
      }),
    );

  it('restarts, fails over (twice, once lagging) and loses everything in turn, whole after each', async () => {
    group = await RedisSentinelGroup.start({ replicas: 1, delayed: true, appendOnly: true, failoverTimeoutMs: 60_000 });
    client = new Redis({ sentinels: group.sentinelHosts, name: group.masterName, maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    await client.set('k', 'kept');
    const synced = async (): Promise<void> => {
      const master = await group.masterPort();
      await group.whenMasterHasReplica(master);
      expect((await roles()).sort()).toEqual(['master', 'slave']);
    };

    await group.restartMaster();
    // Back before down-after: the same master, with what its append-only file held.
    expect(await client.get('k')).toBe('kept');
    await synced();

    const first = await group.masterPort();
    await group.killMasterAndAwaitPromotion();
    await group.restartNode(first);
    expect(await group.masterPort()).not.toBe(first);
    await synced();

    // The replica now is the old master, rejoined: it can be held behind again.
    await group.lagReplicas(500);
    await client.set('late', 'v');
    await until('the write held on its way to the replica', () => Promise.resolve(group.delayedBytes > 0));
    const second = await group.masterPort();
    await group.killMasterAndAwaitPromotion();
    await group.restartNode(second);
    expect(await group.masterPort()).toBe(first);
    // What the promoted replica had not received died with the old master.
    expect(await client.get('late')).toBeNull();
    await synced();

    await group.loseEverything();
    expect(await client.get('k')).toBeNull();
    await synced();
  }, 120_000);
});
