import { readBai2 } from './bai2';
import { DecimalSum } from '@strongroom/money';
import { type BankEntry, type FormatSummary } from './types';

// The reader on generated large files, produced on demand in chunks cut mid-record: entries come
// before the file is read, and what the summary keeps does not grow with the file.

/** Reads the file to its end, counting the entries (not keeping them). */
async function readCounting(input: AsyncIterable<Buffer>): Promise<{ entries: number; summary: FormatSummary }> {
  const gen = readBai2(input);
  for (let entries = 0; ; entries++) {
    const r = await gen.next();
    if (r.done) return { entries, summary: r.value };
  }
}

const failedChecks = (s: FormatSummary) =>
  s.checks.filter((c) => !c.ok).map((c): [string, string, string] => [c.name, c.expected, c.found]);

describe('readBai2 on a large file', () => {
  const DETAILS = 50_000;

  /** A file of DETAILS credits of 1, 2, … minor units, produced on demand in chunks cut mid-record. */
  function largeFile(progress: { chunksRead: number }): AsyncGenerator<Buffer> {
    const total = (BigInt(DETAILS) * BigInt(DETAILS + 1)) / 2n;
    return (async function* () {
      let pending = '01,S,R,240131,1200,1,,,2/\n02,R,S,1,240130,2400,USD,2/\n03,999,/\n';
      for (let k = 1; k <= DETAILS; k++) {
        pending += `16,195,${k},Z,REF${k},,credit ${k}/\n`;
        if (pending.length > 4000) {
          progress.chunksRead++;
          yield Buffer.from(pending.slice(0, 3999));
          pending = pending.slice(3999);
        }
      }
      pending += `49,${total},${DETAILS + 2}/\n98,${total},1,${DETAILS + 4}/\n99,${total},1,${DETAILS + 6}/\n`;
      progress.chunksRead++;
      yield Buffer.from(pending);
    })();
  }

  it('reads 50,000 details streaming, with the right count and totals', async () => {
    const progress = { chunksRead: 0 };
    const gen = readBai2(largeFile(progress));
    let details = 0;
    let chunksAtFirstEntry = 0;
    let last: BankEntry | undefined;
    const sum = new DecimalSum();
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        expect(details).toBe(DETAILS);
        expect(chunksAtFirstEntry).toBeLessThan(3); // the first entry comes before the file is read
        expect(sum.toString()).toBe('12500250.00');
        expect(last).toMatchObject({ txnId: '240130/999/REF50000', amount: '500.00', reference: 'credit 50000' });
        expect(r.value.counts).toEqual({ groups: 1, accounts: 1, details: DETAILS, continuations: 0 });
        expect(failedChecks(r.value)).toEqual([]);
        expect(r.value.controlTotals['file control total']).toBe('1250025000');
        expect(r.value.checks.find((c) => c.name === 'file number of records')?.found).toBe(String(DETAILS + 6));
        return;
      }
      if (++details === 1) chunksAtFirstEntry = progress.chunksRead;
      sum.add(r.value.amount);
      last = r.value;
    }
  });
});

describe('readBai2 on a file of many accounts', () => {
  const GROUPS = 100;
  const ACCOUNTS_PER_GROUP = 1_000;
  const ACCOUNTS = GROUPS * ACCOUNTS_PER_GROUP;

  /**
   * `groups` daily groups (as-of dates 2024-01-01 on) reporting the same 1,000 account numbers, each
   * account a 03 with an opening balance of k, one 16 credit of k without a bank reference and a 49 of
   * 2k (k = 1, 2, … through the file). `wrong(k)` makes the 49 of account k declare one unit more (the
   * 98 sums the 49s as declared, so only the account's check fails). Yielded in chunks of 64 KiB cut
   * anywhere.
   */
  async function* manyAccounts(wrong: (k: number) => boolean = () => false, groups = GROUPS): AsyncGenerator<Buffer> {
    let pending = '01,S,R,240430,1200,1,,,2/\n';
    let file = 0n;
    for (let g = 1; g <= groups; g++) {
      const asOf = new Date(Date.UTC(2024, 0, g)).toISOString().slice(2, 10).replace(/-/g, '');
      pending += `02,R,S,1,${asOf},,USD,2/\n`;
      let group = 0n;
      for (let a = 1; a <= ACCOUNTS_PER_GROUP; a++) {
        const k = (g - 1) * ACCOUNTS_PER_GROUP + a;
        const declared = 2n * BigInt(k) + (wrong(k) ? 1n : 0n);
        group += declared;
        pending += `03,${100_000 + a},,010,${k},,/\n16,195,${k},Z,,,credit ${k}/\n49,${declared},3/\n`;
        if (pending.length >= 65_536) {
          yield Buffer.from(pending.slice(0, 65_536));
          pending = pending.slice(65_536);
        }
      }
      pending += `98,${group},${ACCOUNTS_PER_GROUP},${3 * ACCOUNTS_PER_GROUP + 2}/\n`;
      file += group;
    }
    pending += `99,${file},${groups},${groups * (3 * ACCOUNTS_PER_GROUP + 2) + 2}/\n`;
    yield Buffer.from(pending);
  }

  const folded = (s: FormatSummary) =>
    s.checks.filter((c) => c.location === 'throughout the file').map((c) => [c.name, c.expected, c.found, c.ok]);

  it('reads 100,000 accounts keeping a few hundred checks, the rest folded into passing summary checks', async () => {
    const { entries, summary } = await readCounting(manyAccounts());
    expect(entries).toBe(ACCOUNTS);
    expect(summary.counts).toEqual({ groups: GROUPS, accounts: ACCOUNTS, details: ACCOUNTS, continuations: 0 });
    // 2 checks per 49 and 3 per 98: per kind the first 100 are listed, then one summary check
    expect(summary.checks.length).toBeLessThanOrEqual(300);
    expect(summary.checks).toHaveLength(100 + 1 + 100 + 1 + 3);
    expect(folded(summary)).toEqual([
      ['account trailer (49): 199900 further checks (not listed)', '199900 ok', '199900 ok', true],
      ['group trailer (98): 200 further checks (not listed)', '200 ok', '200 ok', true],
    ]);
    expect(failedChecks(summary)).toEqual([]);
    expect(summary.checks.slice(-5, -2).map((c) => [c.name, c.ok])).toEqual([
      ['file control total', true],
      ['file number of groups', true],
      ['file number of records', true],
    ]);
    // control totals are capped too, but the file's own total is always there
    expect(Object.keys(summary.controlTotals).length).toBeLessThanOrEqual(501);
    expect(summary.controlTotals['file control total']).toBe(String(BigInt(ACCOUNTS) * BigInt(ACCOUNTS + 1)));
    expect(summary.controlTotals['account 100001 control total']).toBe('2');
    expect(summary.warnings).toEqual([`${ACCOUNTS + GROUPS - 500} further control totals are not listed`]);
  });

  it('fails on one wrong 49 total among 100,000 accounts, listing it although passing checks of its kind are no longer listed', async () => {
    const { summary } = await readCounting(manyAccounts((k) => k === 77_777));
    // account 77,777 is account number 100777 of group 78
    expect(failedChecks(summary)).toEqual([['group 78 account 100777 control total', '155555', '155554']]);
    expect(summary.checks.find((c) => !c.ok)?.location).toBe(
      `line ${2 + 77 * 3002 + 777 * 3} (49 account trailer, account 100777)`,
    );
    expect(summary.checks.length).toBeLessThanOrEqual(300);
    expect(folded(summary).map(([, , , ok]) => ok)).toEqual([true, true]);
  });

  it('fails the folded summary check when a wrong 49 total is among the checks not listed', async () => {
    // 10,000 accounts with 200 wrong 49 totals: the first 100 failures are listed, the other 100 only
    // counted in the summary check of the kind
    const { summary } = await readCounting(manyAccounts((k) => k % 50 === 0, 10));
    expect(summary.checks.filter((c) => !c.ok && c.name.endsWith('control total'))).toHaveLength(100);
    expect(folded(summary)).toEqual([
      ['account trailer (49): 19800 further checks (not listed)', '19800 ok', '19700 ok', false],
    ]);
    expect(summary.checks.length).toBeLessThanOrEqual(300);
  });
});
