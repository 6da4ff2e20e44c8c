import { jest } from '@jest/globals';
import { RequestExecutor } from './request-executor.js';

describe('RequestExecutor', () => {
  const left = jest.fn();
  const metrics = { requestStarted: () => left };
  beforeEach(() => {
    jest.useFakeTimers();
    left.mockClear();
  });
  afterEach(() => jest.useRealTimers());

  it('completes each request once after its work, and refuses an id already in flight or work over the limit', () => {
    const executor = new RequestExecutor(1000, metrics);
    const done = jest.fn();
    expect(executor.start('a', 300, done)).toBeUndefined();
    expect(executor.start('a', 10, done)).toEqual({ code: 'DUPLICATE_ID', message: 'request "a" is already in flight on this connection' });
    expect(executor.start('b', 1001, done)).toEqual({ code: 'BAD_MESSAGE', message: 'payload.workMs must be at most 1000' });
    expect(executor.size).toBe(1);
    jest.advanceTimersByTime(299);
    expect(done).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(done).toHaveBeenCalledTimes(1);
    expect(done).toHaveBeenCalledWith(300);
    expect(left.mock.calls).toEqual([[true]]);
    expect(executor.size).toBe(0);
    expect(executor.start('a', 0, done)).toBeUndefined();
  });

  it('abandons all work when the connection is gone', () => {
    const executor = new RequestExecutor(1000, metrics);
    const done = jest.fn();
    executor.start('a', 10, done);
    executor.cancelAll();
    jest.advanceTimersByTime(100);
    expect({ calls: done.mock.calls.length, size: executor.size }).toEqual({ calls: 0, size: 0 });
    // It leaves the in-flight count, without a duration.
    expect(left.mock.calls).toEqual([[false]]);
  });
});
