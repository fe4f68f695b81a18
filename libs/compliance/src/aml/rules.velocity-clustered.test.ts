import { velocityClustered } from './rules';

describe('velocityClustered', () => {
  const row = (recordNo: number, account: string, bookedAt: string) => ({ recordNo, account, bookedAt });

  it('lists the rows that have another row of their account within the window, in any order of the batch', () => {
    const rows = [
      row(1, 'A', '2026-06-01T10:30:00Z'),
      row(2, 'B', '2026-06-01T10:00:00Z'), // alone on its account
      row(3, 'A', '2026-06-01T10:00:00Z'), // 30 minutes before 1
      row(4, 'C', '2026-06-01T10:00:00Z'),
      row(5, 'C', '2026-06-01T11:00:01Z'), // a window and a second after 4: neither is clustered
      row(6, 'A', '2026-06-01T13:00:00Z'), // hours after the others of A
      row(7, 'D', '2026-06-01T10:00:00.000001Z'),
      row(8, 'D', '2026-06-01T10:00:00.000001Z'), // the same time as 7
    ];
    expect(velocityClustered(rows, 1).sort((a, b) => a - b)).toEqual([1, 3, 7, 8]);
  });

  it('counts a pair exactly a window apart (or a sub-millisecond more) as clustered, and a window of its own hours', () => {
    const edge = [row(1, 'A', '2026-06-01T10:00:00Z'), row(2, 'A', '2026-06-01T11:00:00.000900Z')];
    expect(velocityClustered(edge, 1).sort((a, b) => a - b)).toEqual([1, 2]);
    const apart = [row(1, 'A', '2026-06-01T10:00:00Z'), row(2, 'A', '2026-06-01T11:00:00.002Z')];
    expect(velocityClustered(apart, 1)).toEqual([]);
    expect(velocityClustered(apart, 2).sort((a, b) => a - b)).toEqual([1, 2]);
    expect(velocityClustered([], 1)).toEqual([]);
  });

  it('counts a row whose time cannot be read as clustered (checked set-based, never left out)', () => {
    expect(velocityClustered([row(1, 'A', 'not a time'), row(2, 'A', '2026-06-01T10:00:00Z')], 1)).toContain(1);
  });
});
