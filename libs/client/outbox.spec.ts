import { Outbox } from './outbox.js';

describe('Outbox', () => {
  it('keeps a request until its result arrives and re-offers it on every new connection', () => {
    const outbox = new Outbox(10);
    outbox.add('a', { workMs: 0 });
    const [first] = outbox.unsentOn(1);
    expect(outbox.inFlightOn(1)).toBe(0);
    outbox.markSent(first!, 1);
    expect([...outbox.unsentOn(1)]).toEqual([]);
    expect(outbox.inFlightOn(1)).toBe(1);
    expect([...outbox.unsentOn(2)].map((request) => request.id)).toEqual(['a']);
    expect([...outbox.unsentOn(2)][0]?.everSent).toBe(true);
    expect(outbox.complete('a')).toBe('completed');
    expect(outbox.size).toBe(0);
  });

  it('recognises a second result for the same id as a duplicate, and a stranger as unknown', () => {
    const outbox = new Outbox(10);
    outbox.add('a', { workMs: 0 });
    expect(outbox.complete('a')).toBe('completed');
    expect(outbox.complete('a')).toBe('duplicate');
    expect(outbox.complete('b')).toBe('unknown');
  });

  it('puts a request refused with DRAINING back in line on the same connection number', () => {
    const outbox = new Outbox(10);
    outbox.add('a', { workMs: 0 });
    outbox.markSent([...outbox.unsentOn(1)][0]!, 1);
    outbox.requeue('a');
    expect([...outbox.unsentOn(1)].map((request) => request.id)).toEqual(['a']);
    expect(outbox.inFlightOn(1)).toBe(0);
  });

  it('refuses new work when full, and takes it again once a result frees a slot', () => {
    const outbox = new Outbox(2);
    expect(outbox.add('a', { workMs: 0 })).toBe(true);
    expect(outbox.add('b', { workMs: 0 })).toBe(true);
    expect(outbox.add('c', { workMs: 0 })).toBe(false);
    outbox.complete('a');
    expect(outbox.add('c', { workMs: 0 })).toBe(true);
  });

  it('counts in flight only on the newest connection, and forgets work refused for good', () => {
    const outbox = new Outbox(10);
    for (const id of ['a', 'b', 'c']) outbox.add(id, { workMs: 0 });
    for (const work of outbox.unsentOn(1)) outbox.markSent(work, 1);
    expect(outbox.inFlightOn(1)).toBe(3);
    outbox.markSent(outbox.get('a')!, 2);
    expect([outbox.inFlightOn(1), outbox.inFlightOn(2)]).toEqual([0, 1]);
    expect(outbox.remove('a')?.id).toBe('a');
    expect([outbox.inFlightOn(2), outbox.size]).toEqual([0, 2]);
    expect(outbox.complete('a')).toBe('unknown');
    expect(outbox.add('b', { workMs: 1 })).toBe(false);
  });

  it('bounds the memory of answered ids', () => {
    const outbox = new Outbox(1, 2);
    for (const id of ['a', 'b', 'c']) {
      outbox.add(id, { workMs: 0 });
      outbox.complete(id);
    }
    expect(outbox.complete('a')).toBe('unknown');
    expect(outbox.complete('c')).toBe('duplicate');
  });
});
