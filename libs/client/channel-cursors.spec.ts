import { jest } from '@jest/globals';
import { StreamStats } from '../stats/stream-stats.js';
import { ChannelCursors } from './channel-cursors.js';

const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
const message = (offset: number, payload: Record<string, unknown> = {}) => ({ type: 'message' as const, seq: 1, channel: 'c', offset, id: `m${offset}`, payload });
const subscribed = (epoch: string, top: number, recovered: boolean) => ({ type: 'subscribed' as const, seq: 1, channel: 'c', epoch, top, recovered });

describe('ChannelCursors', () => {
  it('subscribes fresh, then resumes from the last offset it received', () => {
    const cursors = new ChannelCursors(['c'], new StreamStats(), logger);
    expect(cursors.subscribeFrame('c')).toBe('{"type":"subscribe","channel":"c"}');
    cursors.onSubscribed(subscribed('e1', 4, true));
    cursors.onMessage(message(5));
    expect(cursors.subscribeFrame('c')).toBe('{"type":"subscribe","channel":"c","since":{"epoch":"e1","offset":5}}');
  });

  it('drops entries at or below its offset as duplicates and counts skipped offsets as gaps', () => {
    const stats = new StreamStats();
    const cursors = new ChannelCursors(['c'], stats, logger);
    cursors.onSubscribed(subscribed('e1', 0, true));
    expect([cursors.onMessage(message(1)), cursors.onMessage(message(1)), cursors.onMessage(message(4))]).toEqual([true, false, true]);
    expect({ received: stats.received, duplicates: stats.duplicates, gaps: stats.gaps }).toEqual({ received: 2, duplicates: 1, gaps: 2 });
    expect(stats.lastOffsets.get('c')).toBe(4);
  });

  it('counts a resumed subscription the server could not recover, and restarts from its top', () => {
    const stats = new StreamStats();
    const cursors = new ChannelCursors(['c'], stats, logger);
    cursors.onSubscribed(subscribed('e1', 0, true));
    cursors.onMessage(message(1));
    cursors.onSubscribed(subscribed('e2', 7, false));
    expect(stats.unrecoverable).toBe(1);
    expect(cursors.onMessage(message(8))).toBe(true);
    expect(stats.gaps).toBe(0);
  });

  it('measures publish-to-receipt latency from the publisher time in the payload', () => {
    const stats = new StreamStats();
    const cursors = new ChannelCursors(['c'], stats, logger);
    cursors.onSubscribed(subscribed('e1', 0, true));
    cursors.onMessage(message(1, { sentAt: Date.now() - 40 }));
    expect(stats.latency.count).toBe(1);
    expect(stats.latency.max).toBeGreaterThanOrEqual(40);
  });
});
