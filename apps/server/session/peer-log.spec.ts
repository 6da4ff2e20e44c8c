import { jest } from '@jest/globals';
import { PeerLog } from './peer-log.js';

describe('PeerLog', () => {
  let now = 0;
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
  beforeEach(() => {
    now = 0;
    jest.clearAllMocks();
  });

  it('writes the first line of a kind, counts repeats in the window, and reports the count with the next one', () => {
    const log = new PeerLog(logger, 'Client p:1', 1000, () => now);
    log.write('warn', 'bad', 'bad frame 1');
    log.write('warn', 'bad', 'bad frame 2');
    log.write('warn', 'bad', 'bad frame 3');
    log.write('log', 'chatter', 'hello');
    now = 1000;
    log.write('warn', 'bad', 'bad frame 4');
    expect(logger.warn.mock.calls).toEqual([['bad frame 1'], ['bad frame 4 (and 2 more like it since the last one logged)']]);
    expect(logger.log.mock.calls).toEqual([['hello']]);
  });

  it('reports what is still only counted when the peer leaves, at the level of its kind', () => {
    const log = new PeerLog(logger, 'Client p:1', 1000, () => now);
    log.write('debug', 'rejected DRAINING', 'first');
    log.write('debug', 'rejected DRAINING', 'second');
    log.flush();
    expect(logger.debug.mock.calls).toEqual([['first'], ['Client p:1: 1 more "rejected DRAINING" lines not logged']]);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
