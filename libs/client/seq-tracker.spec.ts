import { SeqTracker } from './seq-tracker.js';

describe('SeqTracker', () => {
  it('accepts a continuing sequence and acks only what is new', () => {
    const tracker = new SeqTracker(() => undefined);
    expect([tracker.accept(1), tracker.accept(2)]).toEqual([true, true]);
    expect(tracker.nextAck()).toBe(2);
    expect(tracker.nextAck()).toBeUndefined();
  });

  it('reports a skipped seq as loss and a backwards one as invalid', () => {
    const events: unknown[] = [];
    const tracker = new SeqTracker((event) => events.push(event));
    tracker.accept(1);
    expect(tracker.accept(5)).toBe(true);
    expect(tracker.accept(4)).toBe(false);
    expect(events).toEqual([
      { type: 'seq-gap', from: 2, to: 4 },
      { type: 'seq-backwards', seq: 4, last: 5 },
    ]);
  });

  it('reports frames missing before the close marker, and always acks the marker', () => {
    const events: unknown[] = [];
    const tracker = new SeqTracker((event) => events.push(event));
    tracker.accept(1);
    expect(tracker.nextAck()).toBe(1);
    expect(tracker.closeMarker(3)).toBe(3);
    expect(events).toEqual([{ type: 'seq-gap', from: 2, to: 3 }]);
    expect(tracker.closeMarker(3)).toBe(3);
    expect(tracker.nextAck()).toBeUndefined();
  });
});
