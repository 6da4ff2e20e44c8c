import { once } from 'node:events';
import { RedisServer, ScriptedSentinel, until } from '@app/standin';
import { Redis } from 'ioredis';
import { openRedisClient, whenReady } from './redis-connections.js';

describe('a Sentinel client', () => {
  let master: RedisServer;
  let admin: Redis;
  let sentinel: ScriptedSentinel;
  let client: Redis | undefined;
  beforeAll(async () => {
    master = await RedisServer.start();
    admin = new Redis(master.port, '127.0.0.1');
    sentinel = await ScriptedSentinel.start('gsmaster', { host: '127.0.0.1', port: master.port });
  });
  afterAll(async () => {
    client?.disconnect();
    admin.disconnect();
    await Promise.all([sentinel.close(), master.stop()]);
  });

  // ioredis 6.0 ended the client for good here (every command "Connection is closed."): the
  // failover detector of the lost connection still listened, disconnected the connector on
  // +switch-master, and the reconnect's pending master lookup then failed, which is final.
  // Every reconnect during a failover opens that window for as long as its lookup takes (a new
  // connection to a sentinel, two commands), and a server has three Sentinel clients: under
  // load, the failover specs lost one often enough to fail a full test run every few runs.
  it('connects again when a failover is announced while it asks a sentinel for the master', async () => {
    const detecting = once(sentinel, 'subscribed');
    client = openRedisClient(
      {
        kind: 'sentinel',
        sentinels: [sentinel.address],
        masterName: sentinel.masterName,
        sentinelPassword: undefined,
        auth: { username: undefined, password: undefined, tls: false },
      },
      { commandTimeoutMs: 500 },
    ) as Redis;
    client.on('error', () => undefined);
    await whenReady(client);
    await detecting;
    sentinel.hold();
    const asking = once(sentinel, 'held');
    // The master closes the client's connection, as a master that dies or is demoted does.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
    await asking;
    sentinel.announceSwitch({ host: '127.0.0.1', port: master.port });
    // Either the detector was dropped with its connection, or it heard the announcement and
    // left: both before the lookup is answered.
    await sentinel.whenNoSubscribers();
    sentinel.release();
    const revived = client;
    await until('the client to answer again', async () => revived.status === 'ready' && (await revived.ping()) === 'PONG', 10_000);
  });
});
