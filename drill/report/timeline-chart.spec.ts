import type { TimelineEvent } from '../timeline.js';
import { faultsToNumber } from './timeline-chart.js';

const faultsAt = (...seconds: number[]): TimelineEvent[] => seconds.map((s) => ({ t: s * 1000, kind: 'fault' }));

describe('faultsToNumber', () => {
  it('numbers every fault when the numbers fit between their lines', () => {
    expect([...faultsToNumber(faultsAt(1, 2, 3), 20)]).toEqual([0, 1, 2]);
  });

  it('leaves out a number that would print over the last one drawn, and draws the next one clear of it', () => {
    // 10 px per second: "1" spans 7.25–12.75 px, so "2" (centred at 13 px) would overlap it and "3" at 20 px does not.
    expect([...faultsToNumber(faultsAt(1, 1.3, 2), 10)]).toEqual([0, 2]);
  });

  it('keeps wider numbers apart by their width', () => {
    const crowded = Array.from({ length: 300 }, (_, index) => index);
    const numbered = [...faultsToNumber(faultsAt(...crowded), 10)];
    expect(numbered[0]).toBe(0);
    for (const [at, index] of numbered.slice(1).entries()) {
      const previous = numbered[at]!;
      const halfWidths = ((String(previous + 1).length + String(index + 1).length) * 5.5) / 2;
      expect((index - previous) * 10).toBeGreaterThanOrEqual(halfWidths + 4);
    }
    expect(numbered.length).toBeGreaterThan(100);
  });
});
