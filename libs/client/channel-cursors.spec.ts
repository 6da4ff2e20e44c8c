import { ChannelCursors } from './channel-cursors.js';
import type { ChannelEvent } from './events.js';

const message = (offset: number) => ({ type: 'message' as const, seq: 1, channel: 'c', offset, id: `m${offset}`, payload: {} });
const subscribed = (epoch: string, top: number, recovered: boolean) => ({
  type: 'subscribed' as const,
  seq: 1,
  channel: 'c',
  epoch,
  top,
  recovered,
});

function setup() {
  const events: ChannelEvent[] = [];
  const cursors = new ChannelCursors((event) => events.push(event));
  cursors.follow('c');
  return { cursors, events, of: (type: ChannelEvent['type']) => events.filter((event) => event.type === type) };
}

describe('ChannelCursors', () => {
  it('subscribes fresh, then resumes from the last offset it received', () => {
    const { cursors } = setup();
    expect(cursors.subscribeFrame('c')).toBe('{"type":"subscribe","channel":"c"}');
    cursors.onSubscribed(subscribed('e1', 4, true));
    cursors.onMessage(message(5));
    expect(cursors.subscribeFrame('c')).toBe('{"type":"subscribe","channel":"c","since":{"epoch":"e1","offset":5}}');
    expect(cursors.snapshot()).toEqual({ c: { epoch: 'e1', offset: 5 } });
  });

  it('drops entries at or below its offset as duplicates and reports skipped offsets as a gap', () => {
    const { cursors, of } = setup();
    cursors.onSubscribed(subscribed('e1', 0, true));
    expect([cursors.onMessage(message(1)), cursors.onMessage(message(1)), cursors.onMessage(message(4))]).toEqual([true, false, true]);
    expect(of('entry').map((event) => (event as { offset: number }).offset)).toEqual([1, 4]);
    expect(of('duplicate')).toEqual([{ type: 'duplicate', channel: 'c', offset: 1 }]);
    expect(of('gap')).toEqual([{ type: 'gap', channel: 'c', from: 2, to: 3 }]);
  });

  it('reports a resumed subscription the server could not recover, and restarts from its top', () => {
    const { cursors, of } = setup();
    cursors.onSubscribed(subscribed('e1', 0, true));
    cursors.onMessage(message(1));
    cursors.onSubscribed(subscribed('e2', 7, false));
    expect(of('loss')).toEqual([{ type: 'loss', channel: 'c', had: { epoch: 'e1', offset: 1 }, resumesAfter: { epoch: 'e2', offset: 7 } }]);
    expect(cursors.onMessage(message(8))).toBe(true);
    expect(of('gap')).toEqual([]);
  });

  it('resumes a channel from a stored cursor, and ignores what it does not follow', () => {
    const events: ChannelEvent[] = [];
    const cursors = new ChannelCursors((event) => events.push(event));
    cursors.follow('c', { epoch: 'e1', offset: 9 });
    expect(cursors.subscribeFrame('c')).toBe('{"type":"subscribe","channel":"c","since":{"epoch":"e1","offset":9}}');
    cursors.unfollow('c');
    expect(cursors.onSubscribed(subscribed('e1', 9, true))).toBe(false);
    expect(cursors.onMessage(message(10))).toBe(false);
    expect(events).toEqual([]);
  });

  it('reports a gap for entries the drain marker names sent in its epoch and that never arrived, and keeps its cursor to ask again', () => {
    const { cursors, of } = setup();
    cursors.follow('other');
    cursors.onSubscribed(subscribed('e1', 0, true));
    cursors.onMessage(message(1));
    cursors.onDrainMarker({ c: { epoch: 'e1', offset: 3 }, other: { epoch: 'e9', offset: 5 }, unfollowed: { epoch: 'e1', offset: 9 } });
    expect(of('gap')).toEqual([{ type: 'gap', channel: 'c', from: 2, to: 3 }]);
    expect(cursors.subscribeFrame('c')).toBe('{"type":"subscribe","channel":"c","since":{"epoch":"e1","offset":1}}');
    // Nothing to report once the cursor has what the marker names.
    cursors.onMessage(message(2));
    cursors.onMessage(message(3));
    cursors.onDrainMarker({ c: { epoch: 'e1', offset: 3 } });
    expect(of('gap')).toHaveLength(1);
  });
});
