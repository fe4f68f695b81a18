import { splitRanges } from './run-finalizer';

/** Every id the shares cover, in order (each share's ranges in order). */
const ids = (shares: { lo: string[]; hi: string[] }[]) =>
  shares.flatMap((s) =>
    s.lo.flatMap((lo, i) => {
      const out: number[] = [];
      for (let id = Number(lo); id <= Number(s.hi[i]); id++) out.push(id);
      return out;
    }),
  );
const size = (s: { lo: string[]; hi: string[] }) => s.lo.reduce((n, lo, i) => n + Number(s.hi[i]) - Number(lo) + 1, 0);

describe('splitRanges', () => {
  it("cuts a run's id ranges into equal shares that cover each id once, cutting inside a range where needed", () => {
    const ranges = [
      { lo: '1', hi: '10' },
      { lo: '21', hi: '23' },
      { lo: '40', hi: '56' },
    ];
    const all = [...ids([{ lo: ['1', '21', '40'], hi: ['10', '23', '56'] }])];
    for (const readers of [1, 2, 3, 4, 30, 31]) {
      const shares = splitRanges(ranges, { readers, minIdsPerReader: 1 });
      expect(ids(shares)).toEqual(all); // each id once, in order
      expect(shares).toHaveLength(Math.min(readers, 30));
      const sizes = shares.map(size);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(Math.ceil(30 / readers)); // the last may be short
      expect(sizes.slice(0, -1).every((n) => n === Math.ceil(30 / readers))).toBe(true);
    }
    expect(splitRanges(ranges, { readers: 2, minIdsPerReader: 1 })).toEqual([
      { lo: ['1', '21', '40'], hi: ['10', '23', '41'] },
      { lo: ['42'], hi: ['56'] },
    ]);
  });

  it('gives as many shares as the ranges hold minIdsPerReader ids, and one to a run with no rows', () => {
    const ranges = [{ lo: '100', hi: '199' }];
    expect(splitRanges(ranges, { readers: 2, minIdsPerReader: 51 })).toEqual([{ lo: ['100'], hi: ['199'] }]);
    expect(splitRanges(ranges, { readers: 2, minIdsPerReader: 50 })).toEqual([
      { lo: ['100'], hi: ['149'] },
      { lo: ['150'], hi: ['199'] },
    ]);
    expect(splitRanges([], { readers: 2, minIdsPerReader: 1 })).toEqual([{ lo: [], hi: [] }]);
  });

  it('works on ids beyond a JS number (bigint arithmetic)', () => {
    const shares = splitRanges([{ lo: '9007199254740993', hi: '9007199254741000' }], {
      readers: 2,
      minIdsPerReader: 1,
    });
    expect(shares).toEqual([
      { lo: ['9007199254740993'], hi: ['9007199254740996'] },
      { lo: ['9007199254740997'], hi: ['9007199254741000'] },
    ]);
  });
});
