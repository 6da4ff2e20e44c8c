import { jest } from '@jest/globals';
import { ClientStats } from '../stats/client-stats.js';
import { ReconnectGapMeter } from './reconnect-gap.js';

describe('ReconnectGapMeter', () => {
  let now = 0;
  beforeEach(() => jest.spyOn(performance, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  it('measures last frame of the old healthy connection → next healthy one, under how the old one ended', () => {
    const stats = new ClientStats();
    const meter = new ReconnectGapMeter(stats);
    meter.healthy('a');
    now = 100;
    meter.frame();
    meter.ended('drain', true);
    now = 130;
    meter.ended('failure', false);
    now = 140;
    meter.healthy('b');
    now = 500;
    meter.frame();
    meter.ended('failure', true);
    now = 750;
    meter.healthy();
    // The failed attempt is counted, and its time stays inside the drain's gap.
    // Each gap is filed under the server whose connection ended.
    expect(stats).toMatchObject({
      connections: 3,
      reconnects: 2,
      failedAttempts: 1,
      gapsAfterDrain: [{ ms: 40, server: 'a' }],
      gapsAfterFailure: [{ ms: 250, server: 'b' }],
    });
  });
});
