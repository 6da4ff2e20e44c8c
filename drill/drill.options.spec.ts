import { SCENARIOS, UsageError, parseDrillOptions } from './drill.options.js';

describe('parseDrillOptions', () => {
  it('runs every scenario with the full timings by default', () => {
    expect(parseDrillOptions([])).toMatchObject({
      replicas: 2,
      clients: 100,
      scenarios: [...SCENARIOS],
      preStopMs: 2000,
      gracePeriodMs: 30_000,
      output: 'reports',
      quick: false,
      publishRate: 50,
      redisUrl: undefined,
      requireRedis: false,
    });
  });

  it('--quick shortens the timings, and explicit options still win', () => {
    expect(parseDrillOptions(['--quick', '--clients', '7'])).toMatchObject({
      quick: true,
      clients: 7,
      preStopMs: 300,
      dataIntervalMs: 200,
    });
  });

  it('returns nothing for --help', () => {
    expect(parseDrillOptions(['--help'])).toBeUndefined();
  });

  it('keeps the scenario order and brings graceful along with reconnect', () => {
    expect(parseDrillOptions(['--scenarios', 'crash,reconnect'])?.scenarios).toEqual(['graceful', 'reconnect', 'crash']);
  });

  it('--soak runs the soak alone, with the events and seed given (or a random seed)', () => {
    expect(parseDrillOptions(['--soak', '--events', '300', '--seed', '42'])).toMatchObject({
      scenarios: ['soak'],
      soak: { events: 300, seed: 42 },
    });
    expect(parseDrillOptions(['--quick', '--soak'])?.soak.events).toBe(12);
    expect(Number.isSafeInteger(parseDrillOptions(['--soak'])?.soak.seed)).toBe(true);
  });

  it('--minutes bounds a soak by time: no event limit unless --events is given too', () => {
    expect(parseDrillOptions(['--soak', '--minutes', '30'])?.soak).toMatchObject({ events: Number.POSITIVE_INFINITY, minutes: 30 });
    expect(parseDrillOptions(['--soak', '--minutes', '30', '--events', '500'])?.soak).toMatchObject({ events: 500, minutes: 30 });
    expect(parseDrillOptions(['--soak'])?.soak.minutes).toBeUndefined();
  });

  it.each([
    [['--clients', 'many'], '--clients must be an integer >= 1 (got "many")'],
    [['--replicas', '1'], '--replicas must be an integer >= 2 (got "1")'],
    [
      ['--scenarios', 'normal,chaos'],
      '--scenarios: unknown scenario "chaos" (known: normal, graceful, reconnect, rolling, crash, stream, stream-control, redis-failover)',
    ],
    [
      ['--prestop-ms', '5000', '--drain-timeout-ms', '20000', '--grace-ms', '25000'],
      "--grace-ms (25000) must exceed --prestop-ms + --drain-timeout-ms (25000), or the kubelet's SIGKILL cuts the drain",
    ],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--redis-url', 'localhost:6379'], '--redis-url must be a redis:// or rediss:// URL'],
    [['--soak', '--scenarios', 'crash'], '--soak runs on its own: leave out --scenarios'],
    [['--soak', '--events', '0'], '--events must be an integer >= 1 (got "0")'],
    [['--soak', '--minutes', '0'], '--minutes must be an integer >= 1 (got "0")'],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseDrillOptions(argv)).toThrow(UsageError);
    expect(() => parseDrillOptions(argv)).toThrow(message);
  });
});
