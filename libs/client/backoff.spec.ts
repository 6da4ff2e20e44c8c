import { backoffDelayMs, drainReconnectDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('grows its ceiling exponentially from the base until the cap', () => {
    const justBelowOne = () => 0.999_999;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelayMs(attempt, 100, 10_000, justBelowOne))).toEqual([
      99, 199, 399, 799, 1599, 3199, 6399, 9999,
    ]);
  });

  it('never exceeds the cap, even after very many attempts', () => {
    expect(backoffDelayMs(5000, 100, 10_000, () => 0.999_999)).toBe(9999);
  });

  it('uses full jitter: any delay from 0 to the ceiling', () => {
    expect(backoffDelayMs(3, 100, 10_000, () => 0)).toBe(0);
    expect(backoffDelayMs(3, 100, 10_000, () => 0.5)).toBe(400);
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(6, 100, 10_000)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) expect(delay).toBeLessThan(6400);
  });
});

describe('drainReconnectDelayMs', () => {
  it('reconnects at once when the server advises no jitter', () => {
    expect(drainReconnectDelayMs(0, 5000, () => 0.9)).toBe(0);
  });

  it('stays within the advised window and the client cap', () => {
    expect(drainReconnectDelayMs(1000, 5000, () => 0.5)).toBe(500);
    expect(drainReconnectDelayMs(60_000, 5000, () => 0.999_999)).toBe(4999);
  });
});
