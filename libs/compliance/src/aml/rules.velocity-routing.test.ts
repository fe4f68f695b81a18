import { velocityClustered, VelocityRouting } from './rules';

const row = (recordNo: number, account: string, bookedAt: string) => ({ recordNo, account, bookedAt });

describe('VelocityRouting', () => {
  it("routes an account's rows set-based once its window in the run holds more than the rule's count", () => {
    const routing = new VelocityRouting({ windowHours: 1, maxCount: 3 });
    const at = '2026-11-01T00:00:00Z';
    // one row per account per batch, all at one instant (a date-only booking)
    const busy = [1, 2, 3, 4, 5].map((b) => routing.busy([row(2 * b - 1, 'ACC-A', at), row(2 * b, 'ACC-B', at)]));
    expect(busy).toEqual([[], [], [], [7, 8], [9, 10]]);
  });

  it('counts an account window afresh once a row falls outside it, and each account apart', () => {
    const routing = new VelocityRouting({ windowHours: 1, maxCount: 2 });
    expect(
      routing.busy([
        row(1, 'ACC-A', '2026-11-01T10:00:00Z'),
        row(2, 'ACC-A', '2026-11-01T10:20:00Z'),
        row(3, 'ACC-B', '2026-11-01T10:30:00Z'),
        row(4, 'ACC-A', '2026-11-01T10:59:59Z'), // the third in A's hour
        row(5, 'ACC-A', '2026-11-01T11:00:00Z'), // an hour after A's first: a new window
        row(6, 'ACC-A', '2026-11-01T11:10:00Z'),
        row(7, 'ACC-A', '2026-11-01T09:00:00Z'), // before the window: a new one
      ]),
    ).toEqual([4]);
  });

  it('keeps at most `keep` accounts, forgetting the oldest (whose next rows are counted afresh)', () => {
    const routing = new VelocityRouting({ windowHours: 1, maxCount: 1 }, 2);
    const at = '2026-11-01T10:00:00Z';
    expect(routing.busy([row(1, 'A', at), row(2, 'B', at), row(3, 'C', at)])).toEqual([]);
    // A was forgotten when C came; B and C are still counted
    expect(routing.busy([row(4, 'B', at), row(5, 'C', at)])).toEqual([4, 5]);
    expect(routing.busy([row(6, 'A', at)])).toEqual([]);
  });

  it('lists the clustered rows of each batch as velocityClustered does, in the same pass', () => {
    // batches of rows on few and many accounts, at one instant, a window apart, a millisecond inside it
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const base = Date.UTC(2026, 10, 1);
    const offsets = [0, 0, 1, 3_599_999, 3_600_000, 3_600_001, 7_200_000, 86_400_000];
    for (const [accounts, keep] of [
      [3, 100_000],
      [50, 100_000],
      [2_000, 100_000],
      [400, 64], // fewer kept than the batches' accounts: a batch's rows still chain by account
    ] as const) {
      const routing = new VelocityRouting({ windowHours: 1, maxCount: 2 }, keep);
      let no = 0;
      for (let b = 0; b < 6; b++) {
        const rows = Array.from({ length: 300 }, () =>
          row(
            ++no,
            `ACC-${rnd(accounts)}`,
            new Date(base + rnd(48) * 3_600_000 + (offsets[rnd(offsets.length)] as number)).toISOString(),
          ),
        );
        const { clustered, busy } = routing.route(rows);
        if (keep >= accounts) expect(clustered).toEqual(velocityClustered(rows, 1));
        else expect(velocityClustered(rows, 1)).toEqual(expect.arrayContaining(clustered));
        expect(busy.every((n) => rows.some((r) => r.recordNo === n))).toBe(true);
      }
    }
  });
});
