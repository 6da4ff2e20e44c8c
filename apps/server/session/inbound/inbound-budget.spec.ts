import { InboundBudget } from './inbound-budget.js';

describe('InboundBudget', () => {
  let now = 0;
  const budget = (): InboundBudget =>
    new InboundBudget({ framesPerSec: 10, bytesPerSec: 1000, burstSeconds: 2, closeAfterDebtSeconds: 3 }, () => now);
  beforeEach(() => {
    now = 0;
  });

  it('takes a burst of burstSeconds worth, then asks for a pause that pays the debt off', () => {
    const b = budget();
    for (let i = 0; i < 20; i++) expect(b.charge(1)).toEqual({ kind: 'within' });
    expect(b.charge(1)).toEqual({ kind: 'over', pauseMs: 100 });
    expect(b.charge(1)).toEqual({ kind: 'over', pauseMs: 200 });
    now = 200;
    expect(b.charge(1)).toEqual({ kind: 'over', pauseMs: 100 });
  });

  it('refills at the rate, never above the burst', () => {
    const b = budget();
    expect(b.charge(1).kind).toBe('within');
    now = 60_000;
    for (let i = 0; i < 20; i++) expect(b.charge(1).kind).toBe('within');
    expect(b.charge(1).kind).toBe('over');
    now += 1000;
    for (let i = 0; i < 9; i++) expect(b.charge(1).kind).toBe('within');
  });

  it('charges bytes separately: one big frame can be over while frames are not', () => {
    const b = budget();
    expect(b.charge(2000)).toEqual({ kind: 'within' });
    expect(b.charge(500)).toEqual({ kind: 'over', pauseMs: 500 });
  });

  it('calls a peer more than closeAfterDebtSeconds in debt abuse', () => {
    const b = budget();
    for (let i = 0; i < 20 + 30; i++) expect(b.charge(1).kind).not.toBe('abuse');
    expect(b.charge(1)).toEqual({ kind: 'abuse' });
  });
});
