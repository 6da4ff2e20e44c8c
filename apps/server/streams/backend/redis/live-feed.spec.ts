import { RedisServer } from '@app/standin';
import { Redis } from 'ioredis';
import { openLiveFeed, type LiveFeed } from './live-feed.js';

/** What the feed reported, in order, and a wait for it. */
class Reports {
  readonly events: string[] = [];
  private wake: (() => void) | undefined;

  push(event: string): void {
    this.events.push(event);
    this.wake?.();
  }

  /** Resolves once `count` reports of `kind` arrived. */
  async until(kind: string, count: number): Promise<void> {
    while (this.events.filter((event) => event === kind).length < count) await new Promise<void>((resolve) => (this.wake = resolve));
  }
}

describe('the pub/sub live feed (standalone, Sentinel)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let feed: LiveFeed | undefined;
  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.port, '127.0.0.1');
    await admin.call('ACL', 'SETUSER', 'feed', 'on', '>feed-password', '~*', '&*', '+@all');
  });
  afterEach(() => feed?.close());
  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
  });

  it('stays down while its subscriptions are refused after a reconnect, and comes up once Redis takes them (not stuck down)', async () => {
    const reports = new Reports();
    feed = openLiveFeed({ kind: 'standalone', url: `redis://feed:feed-password@127.0.0.1:${redis.port}` }, 500, {
      message: (name) => reports.push(`message ${name}`),
      down: () => reports.push('down'),
      up: () => reports.push('up'),
    });
    await feed.whenUp();
    await feed.subscribe('prices');
    // Taking the channel away closes the subscribed connection (Redis 7); every reconnect's
    // SUBSCRIBE is then answered NOPERM on a connection that stays up.
    await admin.call('ACL', 'SETUSER', 'feed', 'resetchannels');
    await reports.until('down', 2);
    expect(reports.events).not.toContain('up');
    await admin.call('ACL', 'SETUSER', 'feed', '&*');
    await reports.until('up', 1);
    await admin.publish('prices', 'after');
    await reports.until('message prices', 1);
  });
});
