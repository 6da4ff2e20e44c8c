import { QUICK_DRAIN_MS, ReconnectPolicy } from './reconnect-policy.js';

const settings = { reconnectBaseMs: 100, reconnectMaxMs: 10_000, stableConnectionMs: 5000 };
/** The top of every jitter window, so the ceilings show. */
const top = (): number => 0.999_999;

describe('ReconnectPolicy', () => {
  it('doubles the backoff ceiling with every failure in a row, up to the maximum', () => {
    const policy = new ReconnectPolicy(settings, top);
    const delays = Array.from({ length: 9 }, () => policy.afterFailure(0));
    expect(delays.map((delay) => delay.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(delays.map((delay) => delay.delayMs)).toEqual([99, 199, 399, 799, 1599, 3199, 6399, 9999, 9999]);
  });

  it('starts again from the base after a stable connection, but not after one that died young', () => {
    const policy = new ReconnectPolicy(settings, top);
    policy.afterFailure(0);
    policy.afterFailure(0);
    expect(policy.afterFailure(4999)).toEqual({ delayMs: 399, attempt: 3 });
    expect(policy.afterFailure(5000)).toEqual({ delayMs: 99, attempt: 1 });
  });

  it('waits only the advised window after a drain, without counting an attempt', () => {
    const policy = new ReconnectPolicy(settings, top);
    expect(policy.afterDrain(60_000, 1234)).toEqual({ delayMs: 1234, attempt: undefined });
    expect(policy.afterDrain(60_000, 0)).toEqual({ delayMs: 0, attempt: undefined });
  });

  it('backs off from a server that drains every connection right after hello', () => {
    const policy = new ReconnectPolicy(settings, top);
    expect(policy.afterDrain(10, 0).delayMs).toBe(0);
    expect(policy.afterDrain(10, 0).delayMs).toBe(99);
    expect(policy.afterDrain(10, 0).delayMs).toBe(199);
    // One drain after a connection that lived: a rolling update, not a broken server.
    expect(policy.afterDrain(QUICK_DRAIN_MS, 0).delayMs).toBe(0);
  });

  it('counts drains that came too soon towards the failure backoff that follows', () => {
    const policy = new ReconnectPolicy(settings, top);
    policy.afterDrain(10, 0);
    policy.afterDrain(10, 0);
    expect(policy.afterFailure(10)).toEqual({ delayMs: 399, attempt: 3 });
  });
});
