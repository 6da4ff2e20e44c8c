import { LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('gives nearest-rank percentiles to the millisecond, and merges', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let ms = 1; ms <= 50; ms++) a.record(ms);
    for (let ms = 51; ms <= 100; ms++) b.record(ms + 0.4);
    const all = LatencyHistogram.merge([a, b]);
    expect({ count: all.count, p50: all.percentile(50), p99: all.percentile(99), max: all.max }).toEqual({
      count: 100,
      p50: 50,
      p99: 99,
      max: 100,
    });
  });

  it('reports nothing rather than zero when empty, and clamps negative clock skew to 0', () => {
    const histogram = new LatencyHistogram();
    expect({ p50: histogram.percentile(50), max: histogram.max }).toEqual({ p50: null, max: null });
    histogram.record(-3);
    expect(histogram.percentile(50)).toBe(0);
  });
});
