import { FAULT_KINDS, FaultPlan } from './fault-plan.js';

const draw = (plan: FaultPlan, count: number): string[] =>
  Array.from({ length: count }, () => {
    const { kind, afterMs } = plan.next();
    return `${kind}@${afterMs}:${plan.pick(['a', 'b', 'c'])}`;
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

  it('plans only the faults that apply now', () => {
    const plan = new FaultPlan(3, { min: 0, max: 10 });
    const kinds = new Set(Array.from({ length: 100 }, () => plan.next(['sigkill', 'scale-out']).kind));
    expect(kinds).toEqual(new Set(['sigkill', 'scale-out']));
  });

  it('refuses to pick from nothing', () => {
    expect(() => new FaultPlan(1, { min: 0, max: 1 }).pick([])).toThrow('nothing to pick from');
  });
});
