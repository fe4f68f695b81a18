import { DenialCounter } from './denials';

const who = (n: number) => ({
  who: `address:10.0.0.${n}`,
  what: 'ListJobs',
  code: 'UNAUTHENTICATED',
  reason: 'bad token',
  via: 'engine',
});

describe('DenialCounter', () => {
  it('counts denials by kind with their first and last time, and starts over when drained', () => {
    const c = new DenialCounter();
    c.add(who(1), 1, '2026-01-01T00:00:01.000Z');
    c.add(who(1), 1, '2026-01-01T00:00:03.000Z');
    c.add(who(2), 5, '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:04.000Z');
    expect(c.drain()).toEqual({
      denials: [
        { ...who(1), count: 2, first: '2026-01-01T00:00:01.000Z', last: '2026-01-01T00:00:03.000Z' },
        { ...who(2), count: 5, first: '2026-01-01T00:00:02.000Z', last: '2026-01-01T00:00:04.000Z' },
      ],
      dropped: 0,
    });
    expect(c.empty).toBe(true);
  });

  it('keeps at most maxKinds kinds; the rest only as a number, so a flood costs bounded memory', () => {
    const c = new DenialCounter(3);
    for (let i = 0; i < 1000; i++) c.add(who(i), 1, '2026-01-01T00:00:00.000Z');
    const batch = c.drain();
    expect(batch.denials).toHaveLength(3);
    expect(batch.dropped).toBe(997);
  });

  it('trims long texts and puts a failed batch back, merged with newer counts', () => {
    const c = new DenialCounter();
    c.add({ ...who(1), reason: 'x'.repeat(5000) }, 1, '2026-01-01T00:00:00.000Z');
    const batch = c.drain();
    expect(batch.denials[0]?.reason).toHaveLength(300);
    c.add({ ...who(1), reason: 'x'.repeat(5000) }, 2, '2026-01-01T00:00:05.000Z');
    c.restore(batch);
    expect(c.drain().denials).toEqual([
      {
        ...who(1),
        reason: 'x'.repeat(300),
        count: 3,
        first: '2026-01-01T00:00:00.000Z',
        last: '2026-01-01T00:00:05.000Z',
      },
    ]);
  });
});
