import { reconnectJitterMs } from './reconnect-window.js';

describe('reconnectJitterMs', () => {
  it('asks a lone client to come back at once', () => {
    expect(reconnectJitterMs(1, 20_000, 1000)).toBe(0);
    expect(reconnectJitterMs(0, 20_000, 1000)).toBe(0);
  });

  it('spreads more clients over a longer window, as long as the next replica needs to accept them', () => {
    expect(reconnectJitterMs(101, 20_000, 1000)).toBe(100);
    expect(reconnectJitterMs(1001, 20_000, 1000)).toBe(1000);
    expect(reconnectJitterMs(1001, 20_000, 2000)).toBe(500);
  });

  it('stays within half the drain deadline', () => {
    expect(reconnectJitterMs(100_000, 20_000, 1000)).toBe(10_000);
  });
});
