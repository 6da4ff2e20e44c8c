import { FAULT_KINDS, FaultPlan, choose } from './fault-plan.js';

const draw = (plan: FaultPlan, count: number): string[] =>
  Array.from({ length: count }, () => {
    const { kind, afterMs, roll } = plan.next();
    return `${kind}@${afterMs}:${choose(['a', 'b', 'c'], roll)}`;
  });

describe('FaultPlan', () => {
  it('replays exactly from its seed', () => {
    expect(draw(new FaultPlan(1234, { min: 100, max: 2000 }), 50)).toEqual(draw(new FaultPlan(1234, { min: 100, max: 2000 }), 50));
  });

  it('differs with another seed', () => {
    expect(draw(new FaultPlan(1, { min: 100, max: 2000 }), 20)).not.toEqual(draw(new FaultPlan(2, { min: 100, max: 2000 }), 20));
  });

  it('spaces faults within the bounds and, over a long run, plans every kind', () => {
    const plan = new FaultPlan(7, { min: 100, max: 2000 });
    const planned = Array.from({ length: 400 }, () => plan.next());
    expect(planned.every(({ afterMs }) => afterMs >= 100 && afterMs <= 2000)).toBe(true);
    expect(new Set(planned.map(({ kind }) => kind))).toEqual(new Set(FAULT_KINDS));
  });

  it('chooses by the roll, and refuses to choose from nothing', () => {
    expect(choose(['a', 'b', 'c'], 7)).toBe('b');
    expect(() => choose([], 1)).toThrow('nothing to choose from');
  });
});
