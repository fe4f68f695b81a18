import { addSnapshot, conservation, createdWithin, failuresFirst, progress } from './runs';

describe('the run views', () => {
  it('puts failures first, then runs to watch, newest first within each', () => {
    const runs = [
      { id: 'a', status: 'SUCCEEDED' as const, createdAt: '2026-01-01T10:00:00.000Z' },
      { id: 'b', status: 'FAILED' as const, createdAt: '2026-01-01T08:00:00.000Z' },
      { id: 'c', status: 'RUNNING' as const, createdAt: '2026-01-01T09:00:00.000Z' },
      { id: 'd', status: 'FAILED' as const, createdAt: '2026-01-01T11:00:00.000Z' },
      { id: 'e', status: 'PAUSED' as const, createdAt: null },
    ];
    expect(failuresFirst(runs).map((r) => r.id)).toEqual(['d', 'b', 'e', 'c', 'a']);
  });

  it('filters by creation time against the clock it is given', () => {
    const now = Date.parse('2026-01-01T12:00:00.000Z');
    const runs = [
      { createdAt: '2026-01-01T11:30:00.000Z' },
      { createdAt: '2025-12-31T12:00:00.000Z' },
      { createdAt: null },
    ];
    expect(createdWithin(runs, 3_600_000, now)).toEqual([runs[0]]);
    expect(createdWithin(runs, 0, now)).toEqual(runs);
  });

  it('checks conservation: read = loaded + dead-lettered + filtered, or says what is missing', () => {
    expect(conservation({ read: 1000, loaded: 990, deadLettered: 7, filtered: 3 })).toEqual({
      holds: true,
      text: '1,000 read = 990 loaded + 7 dead-lettered + 3 filtered',
    });
    expect(conservation({ read: 1000, loaded: 990, deadLettered: 7, filtered: 0 })).toEqual({
      holds: false,
      text: '1,000 read, but 997 accounted for',
    });
  });

  it('draws throughput from successive snapshots, skipping those that do not move time', () => {
    let s = addSnapshot({ points: [] }, 1_000, 0);
    expect(s.points).toEqual([]);
    s = addSnapshot(s, 1_500, 500);
    s = addSnapshot(s, 1_500, 700); // same instant: ignored
    s = addSnapshot(s, 2_500, 2_500);
    expect(s.points).toEqual([
      { t: 0.5, rate: 1000 },
      { t: 1.5, rate: 2000 },
    ]);
  });

  it('shows progress by bytes', () => {
    expect(progress(50, 200)).toBe(0.25);
    expect(progress(10, 0)).toBeUndefined();
  });
});
