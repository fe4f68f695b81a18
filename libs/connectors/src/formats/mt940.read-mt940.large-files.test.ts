import { readMt940 } from './mt940';
import { type FormatSummary } from './types';
import { HEAD, balance, readText, rejection, statement } from './mt940-test-support';

async function* statements(n: number, unbalanced: (i: number) => boolean = () => false): AsyncGenerator<Buffer> {
  let lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    lines.push(
      `:20:S${i}`,
      `:25:ACC${i}`,
      ':28C:1',
      ':60F:C240101EUR0,00',
      ':61:240102C1,00NTRFNONREF',
      ':86:payment',
      `:62F:C240102EUR${unbalanced(i) ? 2 : 1},00`,
      '-',
    );
    if (lines.length >= 8000 || i === n) {
      yield Buffer.from(lines.join('\r\n') + '\r\n');
      lines = [];
    }
  }
}

/** The summary of a file, its entries counted but not kept. */
async function summaryOf(input: AsyncIterable<Buffer>): Promise<FormatSummary> {
  const gen = readMt940(input);
  let entries = 0;
  for (let r = await gen.next(); ; r = await gen.next()) {
    if (r.done) return { ...r.value, counts: { ...r.value.counts, read: entries } };
    entries++;
  }
}

const balanceOf = (i: number) => balance(`statement ${i} (:20: S${i})`, 1, 'EUR');

describe('readMt940 keeps its memory independent of the file size', () => {
  it('lists at most 100 passing balance checks of 100,000 statements and folds the rest into one summary check', async () => {
    const summary = await summaryOf(statements(100_000));
    expect(summary.counts).toEqual({
      statements: 100_000,
      entries: 100_000,
      credits: 100_000,
      debits: 0,
      read: 100_000,
    });
    expect(summary.checks).toHaveLength(101);
    expect(summary.checks[0]?.name).toBe(balanceOf(1));
    expect(summary.checks[100]).toEqual({
      name: 'statement balance: 99900 further checks (not listed)',
      location: 'throughout the file',
      expected: '99900 ok',
      found: '99900 ok',
      ok: true,
    });
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(Object.keys(summary.controlTotals)).toHaveLength(500);
    expect(summary.warnings).toEqual([
      'statement 10001: more than 10000 accounts: the statements of accounts first seen from here on are not checked for a statement missing in between',
      '199500 further control totals are not listed',
    ]);
  });

  it('fails the file for one unbalanced statement among 100,000, listed by name', async () => {
    const summary = await summaryOf(statements(100_000, (i) => i === 54_321));
    expect(summary.checks.length).toBeLessThanOrEqual(300);
    expect(summary.checks.filter((c) => !c.ok).map((c) => [c.name, c.location, c.expected, c.found])).toEqual([
      [balanceOf(54_321), 'line 434567', '2.00', '1.00'],
    ]);
    expect(summary.checks.at(-1)).toMatchObject({
      name: 'statement balance: 99899 further checks (not listed)',
      ok: true,
    });
  });

  it('fails the folded summary check when an unbalanced statement is past the 100 failures listed', async () => {
    const summary = await summaryOf(statements(1_000, (i) => i <= 100 || i === 777));
    expect(summary.checks).toHaveLength(201);
    expect(summary.checks.filter((c) => !c.ok)).toHaveLength(101);
    expect(summary.checks.some((c) => c.name === balanceOf(777))).toBe(false);
    expect(summary.checks.at(-1)).toEqual({
      name: 'statement balance: 800 further checks (not listed)',
      location: 'throughout the file',
      expected: '800 ok',
      found: '799 ok',
      ok: false,
    });
  });

  it('stops tracking chained balances of new accounts after 10,000 but keeps checking the accounts it tracks', async () => {
    const text = [
      ...Array.from({ length: 10_001 }, (_, i) =>
        statement(`A${i}`, [`:25:ACC${i}`, ':28C:1', ':60F:C240101EUR0,', ':62F:C240101EUR0,']),
      ),
      statement('B', [':25:ACC0', ':28C:2', ':60F:C240102EUR5,', ':62F:C240102EUR5,']),
    ];
    const { summary } = await readText(text.join(''));
    expect(summary.warnings).toEqual([
      'statement 10001: more than 10000 accounts: the statements of accounts first seen from here on are not checked for a statement missing in between',
      'statement 10002 opens at 5 EUR but statement 1 closed at 0 EUR: a statement may be missing',
      '19504 further control totals are not listed',
    ]);
  });

  it('rejects a :86: field of 200 lines, or of more than 64 KiB, at the line it starts', async () => {
    const long = await rejection(
      readText(
        statement('R', [
          ...HEAD,
          ':60F:C240101EUR0,',
          ':61:240102C1,NTRFNONREF',
          ':86:start',
          ...Array.from({ length: 199 }, (_, i) => `line ${i + 2}`),
          ':62F:C240102EUR1,',
        ]),
      ),
    );
    expect(long.location).toBe('line 6');
    expect(long.message).toBe(
      'line 6: field :86: runs over more than 100 lines (the longest SWIFT field, :86:, has 6 lines of 65)',
    );
    const wide = await rejection(
      readText(
        statement('R', [
          ...HEAD,
          ':60F:C240101EUR0,',
          ':61:240102C1,NTRFNONREF',
          ':86:start',
          'x'.repeat(40_000),
          'y'.repeat(40_000),
          ':62F:C240102EUR1,',
        ]),
      ),
    );
    expect(wide.message).toBe(
      'line 6: field :86: is longer than 65536 characters (the longest SWIFT field, :86:, has 6 lines of 65)',
    );
  });

  it('accepts 20,000 :86: fields after one :61:, keeping the first 64 KiB of raw text and the first structured counterparty', async () => {
    const infos = Array.from({ length: 20_000 }, (_, i) => `:86:${String(i).padStart(60, 'x')}`);
    const { entries } = await readText(
      statement('MANY', [
        ...HEAD,
        ':60F:C240101EUR0,',
        ':61:240102C1,NTRFREF',
        ...infos,
        ':86:166?00GUTSCHRIFT?20late?32KARL KAUFMANN',
        ':62F:C240102EUR1,',
      ]),
    );
    const raw = [':61:240102C1,NTRFREF', ...infos].join('\n').slice(0, 64 * 1024);
    expect(entries[0]).toMatchObject({
      raw,
      counterpartyName: 'KARL KAUFMANN',
      reference: `REF ${infos.map((l) => l.slice(4)).join(' ')}`.slice(0, 1024),
    });
  });
});
