import { ChannelMetaField, redisKeys } from '@app/contract';
import { ClientProcess, hostList, RedisSentinelGroup, ServerProcess } from '@app/standin';
import { Redis } from 'ioredis';

/*
 * The built server on a Sentinel-watched Redis whose master is SIGKILLed under a publisher and a
 * subscriber (both the built client): the server follows the promoted replica without a restart,
 * the subscriber is told its live feed stopped and when it came back, readiness never flips, and
 * with PUBLISH_MIN_REPLICAS=1 every confirmed publish is in the channel once.
 */
describe('the server on Redis Sentinel, through a failover', () => {
  let group: RedisSentinelGroup;
  beforeAll(async () => {
    group = await RedisSentinelGroup.start();
  }, 60_000);
  afterAll(() => group.stop());

  it('follows the new master, tells subscribers of the stall, loses no confirmed publish', async () => {
    const server = await ServerProcess.start({
      STREAM_BACKEND: 'redis',
      REDIS_SENTINELS: hostList(group.sentinelHosts),
      REDIS_SENTINEL_MASTER: group.masterName,
      PUBLISH_MIN_REPLICAS: '1',
      REDIS_TIMEOUT_MS: '300',
      DATA_INTERVAL_MS: '3600000',
    });
    const common = { SERVER_URL: server.wsUrl, REQUEST_INTERVAL_MS: '0', RECONNECT_BASE_MS: '10', EXIT_TIMEOUT_MS: '30000' };
    const publisher = ClientProcess.spawn({ ...common, PUBLISH_CHANNEL: 'fo', PUBLISH_INTERVAL_MS: '20' });
    const subscriber = ClientProcess.spawn({ ...common, CHANNELS: 'fo' });
    let admin: Redis | undefined;
    try {
      await server.expectEvent('backend_up', ({ topology }) => topology.startsWith('sentinel master "gsmaster" via '));
      await subscriber.expectFrame(({ type }) => type === 'message');

      const old = await group.masterPort();
      const killedAt = server.log.lines.length;
      const promoted = await group.killMasterAndAwaitPromotion();
      await subscriber.expectFrame(({ type, channel, live }) => type === 'feed' && channel === 'fo' && live === false);
      // Degraded streams are not an outage: the fleet stays in the Service.
      expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(200);
      await server.expectEvent('backend_up', undefined, killedAt);
      await subscriber.expectFrame(({ type, channel, live }) => type === 'feed' && channel === 'fo' && live === true);
      // Confirmations need a replica again: the old master comes back as the new one's.
      await group.restartNode(old);
      const published = await publisher.finish();

      admin = new Redis(promoted, '127.0.0.1');
      const top = Number(await admin.hget(redisKeys.meta('fo'), ChannelMetaField.top));
      const ids = (await admin.xrange(redisKeys.stream('fo'), '-', '+')).map(([, fields]) => fields[fields.indexOf('id') + 1]);
      await subscriber.expectFrame(({ type, offset }) => type === 'message' && offset === top);
      const received = await subscriber.finish();

      const acked = published.stream!.published.acked;
      if (published.stream!.published.outstanding > 0) {
        // Say why: what the server logged from the kill on, and the group as it stands.
        const logged = server.log.lines.slice(killedAt).join('\n');
        throw new Error(
          `${published.stream!.published.outstanding} publishes never confirmed; server since the kill:\n${logged}\n${await group.describe()}`,
        );
      }
      expect(published.stream!.published).toMatchObject({ created: acked, outstanding: 0 });
      // Every confirmed publish once (ids run p1…pN per publisher).
      const numbers = ids.map((id) => Number(/-p(\d+)$/.exec(id ?? '')?.[1]));
      expect(new Set(numbers).size).toBe(numbers.length);
      for (let n = 1; n <= acked; n++) expect(numbers).toContain(n);
      // Told of the stall, and none left open. Twice in one CI run on ioredis 6.1 — likely a later
      // sentinel's own +switch-master moving a connection that already follows the new master
      // (ioredis' detector does not compare the address); not traced.
      expect(received.stream).toMatchObject({ gaps: 0, unrecoverable: 0, feedStalls: { open: 0 } });
      expect(received.stream!.feedStalls.count).toBeGreaterThanOrEqual(1);
      expect(received.stream!.feedStalls.totalMs).toBeGreaterThan(0);
    } finally {
      admin?.disconnect();
      await Promise.all([publisher.kill(), subscriber.kill()]);
      await server.stop();
    }
  }, 120_000);
});
