import { jest } from '@jest/globals';
import { ClientStats } from '../stats/client-stats.js';
import { SeqTracker } from './seq-tracker.js';

describe('SeqTracker', () => {
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };

  it('accepts a continuing sequence and acks only what is new', () => {
    const tracker = new SeqTracker(new ClientStats(), logger);
    expect([tracker.accept(1), tracker.accept(2)]).toEqual([true, true]);
    expect(tracker.nextAck()).toBe(2);
    expect(tracker.nextAck()).toBeUndefined();
  });

  it('counts a skipped seq as loss and a backwards one as invalid', () => {
    const stats = new ClientStats();
    const tracker = new SeqTracker(stats, logger);
    tracker.accept(1);
    expect(tracker.accept(5)).toBe(true);
    expect(tracker.accept(4)).toBe(false);
    expect({ seqGaps: stats.seqGaps, invalidFrames: stats.invalidFrames }).toEqual({ seqGaps: 3, invalidFrames: 1 });
    expect(logger.warn).toHaveBeenCalledWith('Lost 3 frames: seq 2 to 4 never arrived');
    expect(logger.warn).toHaveBeenCalledWith('Ignored a frame whose seq 4 went backwards (last was 5)');
  });

  it('counts frames missing before the close marker, and always acks the marker', () => {
    const stats = new ClientStats();
    const tracker = new SeqTracker(stats, logger);
    tracker.accept(1);
    expect(tracker.nextAck()).toBe(1);
    expect(tracker.closeMarker(3)).toBe(3);
    expect(stats.seqGaps).toBe(2);
    expect(tracker.closeMarker(3)).toBe(3);
    expect(tracker.nextAck()).toBeUndefined();
  });
});
