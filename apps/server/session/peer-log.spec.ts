import { jest } from '@jest/globals';
import { logEvent } from '@app/contract';
import { PeerLog } from './peer-log.js';

describe('PeerLog', () => {
  let now = 0;
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
  beforeEach(() => {
    now = 0;
    jest.clearAllMocks();
  });

  const bad = logEvent('frame_too_large', { peer: 'p:1', limitBytes: 10 });
  const chatter = logEvent('peer_text', { peer: 'p:1', text: 'hello' });
  const draining = logEvent('frame_rejected', { peer: 'p:1', code: 'DRAINING', reason: 'draining' });

  it('writes the first line of a kind, counts repeats in the window, and reports the count with the next one', () => {
    const log = new PeerLog(logger, 'Client p:1', 1000, () => now);
    log.write('warn', 'bad', 'bad frame 1', bad);
    log.write('warn', 'bad', 'bad frame 2', bad);
    log.write('warn', 'bad', 'bad frame 3', bad);
    log.write('log', 'chatter', 'hello', chatter);
    now = 1000;
    log.write('warn', 'bad', 'bad frame 4', bad);
    expect(logger.warn.mock.calls).toEqual([
      ['bad frame 1', bad],
      ['bad frame 4 (and 2 more like it since the last one logged)', { ...bad, suppressed: 2 }],
    ]);
    expect(logger.log.mock.calls).toEqual([['hello', chatter]]);
  });

  it('reports what is still only counted when the peer leaves, at the level of its kind', () => {
    const log = new PeerLog(logger, 'Client p:1', 1000, () => now);
    log.write('debug', 'rejected DRAINING', 'first', draining);
    log.write('debug', 'rejected DRAINING', 'second', draining);
    log.flush();
    expect(logger.debug.mock.calls).toEqual([
      ['first', draining],
      [
        'Client p:1: 1 more "rejected DRAINING" lines not logged',
        { event: 'log_suppressed', about: 'Client p:1', kind: 'rejected DRAINING', count: 1 },
      ],
    ]);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
