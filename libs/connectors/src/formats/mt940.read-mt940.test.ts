import { readMt940 } from './mt940';
import { type BankEntry } from './types';
import { HEAD, readText, rejection, statement } from './mt940-test-support';

describe('readMt940 rules', () => {
  it('reconciles a balanced statement and maps C, D, RC and RD with their signs', async () => {
    const { entries, summary } = await readText(
      statement('REF1', [
        ...HEAD,
        ':60F:C240101EUR1000,00',
        ':61:2401020102C100,NTRFINV-1//BANK1',
        ':86:Invoice 1',
        ':61:240103D20,5NMSCNONREF',
        ':61:240104RC30,00NTRFNONREF',
        ':61:240105RD4,50NTRFNONREF',
        ':62F:C240105EUR1054,00',
      ]),
    );
    expect(entries.map((e) => [e.txnId, e.amount, e.bookedAt, e.valueDate, e.reference])).toEqual([
      ['DE89370400440532013000/7/1/240101/1', '100', '2024-01-02', '2024-01-02', 'INV-1 Invoice 1'],
      ['DE89370400440532013000/7/1/240101/2', '-20.5', '2024-01-03', '2024-01-03', null],
      ['DE89370400440532013000/7/1/240101/3', '-30.00', '2024-01-04', '2024-01-04', null],
      ['DE89370400440532013000/7/1/240101/4', '4.50', '2024-01-05', '2024-01-05', null],
    ]);
    expect(entries[0]).toMatchObject({
      account: 'DE89370400440532013000',
      currency: 'EUR',
      raw: ':61:2401020102C100,NTRFINV-1//BANK1\n:86:Invoice 1',
    });
    expect(summary).toEqual({
      format: 'mt940',
      version: null,
      encoding: 'utf-8',
      counts: { statements: 1, entries: 4, credits: 2, debits: 2 },
      controlTotals: {
        'statement 1 (:20: REF1) opening EUR': '1000.00',
        'statement 1 (:20: REF1) closing EUR': '1054.00',
      },
      checks: [
        {
          name: 'statement 1 (:20: REF1): opening :60F: + 4 statement lines :61: = closing :62F: (EUR)',
          location: 'line 10',
          expected: '1054.00',
          found: '1054.00',
          ok: true,
        },
      ],
      warnings: [],
    });
  });

  it('says which unknown fields it skipped inside a statement, and still reconciles it', async () => {
    const { entries, summary } = await readText(
      statement('REF9', [
        ...HEAD,
        ':60F:C240101EUR10,00',
        ':NS:22Hausbank note',
        ':61:2401020102C5,00NTRFNONREF',
        ':86:Rent',
        ':99X:whatever',
        ':62F:C240102EUR15,00',
      ]),
    );
    expect(entries.map((e) => [e.amount, e.reference])).toEqual([['5.00', 'Rent']]);
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(summary.warnings).toEqual([
      expect.stringMatching(/: the field :NS: \(line \d+\) is not an MT940\/MT942 field: skipped$/),
      expect.stringMatching(/: the field :99X: \(line \d+\) is not an MT940\/MT942 field: skipped$/),
    ]);
  });

  it('fails the balance check of an unbalanced statement with the declared and the computed closing', async () => {
    const { summary } = await readText(
      statement('REF2', [...HEAD, ':60F:D240101EUR10,00', ':61:240102C5,00NTRFNONREF', ':62F:C240102EUR5,00']),
    );
    expect(summary.checks).toEqual([
      {
        name: 'statement 1 (:20: REF2): opening :60F: + 1 statement lines :61: = closing :62F: (EUR)',
        location: 'line 6',
        expected: '5.00',
        found: '-5.00',
        ok: false,
      },
    ]);
  });

  it('rejects a statement with statement lines but no closing balance', async () => {
    const err = await rejection(
      readText(statement('REF3', [...HEAD, ':60F:C240101EUR10,00', ':61:240102C5,00NTRFNONREF'])),
    );
    expect(err.message).toBe('line 6: statement 1 (:20: REF3): no closing balance :62F:/:62M: (a mandatory field)');
  });

  it('rejects a closing balance without an opening balance, and opening and closing in different currencies', async () => {
    expect((await rejection(readText(statement('R', [...HEAD, ':62F:C240102EUR5,00'])))).message).toBe(
      'line 4: statement 1 (:20: R): closing balance :62F: without an opening balance :60F:/:60M: (a mandatory field)',
    );
    expect(
      (await rejection(readText(statement('R', [...HEAD, ':60F:C240101EUR5,00', ':62F:C240102USD5,00'])))).message,
    ).toBe('line 5: statement 1 (:20: R): closing balance :62F: is in USD but the opening balance :60F: is in EUR');
  });

  it('rejects an amount without its decimal comma and a statement line that does not parse', async () => {
    const noComma = await rejection(
      readText(statement('R', [...HEAD, ':60F:C240101EUR0,', ':61:240102C500NTRFNONREF', ':62F:C240102EUR500,'])),
    );
    expect(noComma.message).toBe(
      'line 5: statement line :61: "240102C500NTRFNONREF" does not parse: amount "500" has no decimal comma (SWIFT amounts always have one, e.g. "500,")',
    );
    expect(noComma.location).toBe('line 5');
    const badMark = await rejection(
      readText(statement('R', [...HEAD, ':60F:C240101EUR0,', ':61:240102X5,00NTRFNONREF', ':62F:C240102EUR5,'])),
    );
    expect(badMark.message).toBe(
      'line 5: statement line :61: "240102X5,00NTRFNONREF" does not parse: expected the mark C, D, RC or RD after the date, found "X5"',
    );
    const noType = await rejection(
      readText(statement('R', [...HEAD, ':60F:C240101EUR0,', ':61:240102C5,00', ':62F:C240102EUR5,'])),
    );
    expect(noType.message).toContain(
      'expected the transaction type (N, F or S and 3 characters) after the amount 5,00, found ""',
    );
  });

  it('rejects a balance without a currency code and a balance amount without a comma', async () => {
    expect((await rejection(readText(statement('R', [...HEAD, ':60F:C24010110,00'])))).message).toBe(
      'line 4: balance :60F: "C24010110,00" does not parse: expected a 3-letter currency code after the date 240101, found "10,"',
    );
    expect((await rejection(readText(statement('R', [...HEAD, ':60F:C240101EUR10'])))).message).toBe(
      'line 4: balance :60F: "C240101EUR10" does not parse: amount "10" has no decimal comma (SWIFT amounts always have one, e.g. "10,")',
    );
  });

  it('rejects a control character outside the SWIFT character set but accepts tabs', async () => {
    const err = await rejection(
      readText(
        statement('R', [
          ...HEAD,
          ':60F:C240101EUR0,',
          ':61:240102C5,00NTRFNONREF',
          ':86:bad\x07bell',
          ':62F:C240102EUR5,',
        ]),
      ),
    );
    expect(err.message).toBe(
      'line 6: control character U+0007 at column 8: outside the SWIFT character set (only CR, LF and TAB are allowed)',
    );
    const { entries } = await readText(
      statement('R', [...HEAD, ':60F:C240101EUR0,', ':61:240102C5,00NTRFNONREF', ':86:a\ttab', ':62F:C240102EUR5,']),
    );
    expect(entries[0]?.reference).toBe('a tab');
  });

  it('rejects a file without any statement', async () => {
    expect((await rejection(readText(''))).message).toBe(
      'file: no MT940 statement or MT942 report: expected a :20: field (transaction reference number) opening one, the file is empty',
    );
    expect((await rejection(readText('hello\r\nworld\r\n'))).location).toBe('lines 1-2');
  });

  it('checks the :90D: and :90C: totals of an MT942 report and reports a mismatch', async () => {
    const { entries, summary } = await readText(
      statement('INTRA', [
        ...HEAD,
        ':34F:EURD0,',
        ':34F:EURC0,',
        ':13D:2401021200+0100',
        ':61:240102D10,00NTRFNONREF',
        ':61:240102RC1,00NTRFNONREF',
        ':61:240102C7,25NTRFNONREF',
        ':90D:1EUR11,00',
        ':90C:1EUR7,50',
      ]),
    );
    expect(summary.format).toBe('mt942');
    expect(entries.map((e) => [e.txnId, e.amount, e.currency])).toEqual([
      ['DE89370400440532013000/7/1/2401021200+0100/1', '-10.00', 'EUR'],
      ['DE89370400440532013000/7/1/2401021200+0100/2', '-1.00', 'EUR'],
      ['DE89370400440532013000/7/1/2401021200+0100/3', '7.25', 'EUR'],
    ]);
    expect(summary.checks.map((c) => [c.name, c.location, c.expected, c.found, c.ok])).toEqual([
      ['statement 1 (:20: INTRA): :90D: number of debit entries (D, RC)', 'line 10', '1', '2', false],
      ['statement 1 (:20: INTRA): :90D: sum of debit entries (D, RC) (EUR)', 'line 10', '11.00', '11.00', true],
      ['statement 1 (:20: INTRA): :90C: number of credit entries (C, RD)', 'line 11', '1', '1', true],
      ['statement 1 (:20: INTRA): :90C: sum of credit entries (C, RD) (EUR)', 'line 11', '7.50', '7.25', false],
    ]);
  });

  it('rejects an MT942 statement line before its :13D: date-time', async () => {
    const err = await rejection(readText(statement('INTRA', [...HEAD, ':34F:EUR0,', ':61:240102D10,00NTRFNONREF'])));
    expect(err.message).toBe(
      'line 5: statement 1 (:20: INTRA): statement line :61: before the date/time indication :13D: (mandatory in MT942)',
    );
  });

  it('strips SWIFT envelope blocks of several messages and the SOH/ETX framing', async () => {
    const message = (ref: string, open: string, close: string) =>
      `{1:F01BANKDEFFAXXX0000000000}{2:O9401200240102BANKDEFFAXXX00000000002401021200N}{3:{108:MUR1}}{4:\r\n:20:${ref}\r\n:25:ACC\r\n:28C:1\r\n:60F:C240101EUR${open}\r\n:61:240102C1,00NTRFNONREF\r\n:62F:C240102EUR${close}\r\n-}{5:{CHK:123456789ABC}}`;
    const { entries, summary } = await readText(
      `\x01${message('A', '0,00', '1,00')}\x03\r\n${message('B', '1,00', '2,00')}\r\n`,
    );
    expect(entries.map((e) => e.location)).toEqual([
      'statement 1 (:20: A), :61: #1 (line 6)',
      'statement 2 (:20: B), :61: #1 (line 14)',
    ]);
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(summary.warnings).toEqual([]);
  });

  it('joins continuation lines: structured :86: subfields as written, unstructured text with spaces', async () => {
    const { entries } = await readText(
      statement('CONT', [
        ...HEAD,
        ':60F:C240101EUR0,',
        ':61:2401020102D12,34NDDTMANDATE-9//B1',
        'supplementary details',
        ':86:105?00SEPA-BASISLASTSCHRIFT?20EREF+2024-01 Strom?21abschlag Januar?30BYLA',
        'DEMM?31DE02700100800030876808?32Stadtwerke Mue',
        'nchen?33 GmbH?60 Vertrag 42',
        ':61:240103C5,NTRFNONREF',
        ':86:Rent',
        'January',
        '',
        ':86:second :86: of the same line',
        ':62F:D240103EUR7,34',
      ]),
    );
    expect(entries[0]).toMatchObject({
      reference: 'MANDATE-9 EREF+2024-01 Stromabschlag Januar Vertrag 42',
      counterpartyName: 'Stadtwerke Muenchen GmbH',
      counterpartyAccount: 'DE02700100800030876808',
      raw: ':61:2401020102D12,34NDDTMANDATE-9//B1\nsupplementary details\n:86:105?00SEPA-BASISLASTSCHRIFT?20EREF+2024-01 Strom?21abschlag Januar?30BYLA\nDEMM?31DE02700100800030876808?32Stadtwerke Mue\nnchen?33 GmbH?60 Vertrag 42',
    });
    expect(entries[1]).toMatchObject({
      amount: '5',
      reference: 'Rent January second :86: of the same line',
      counterpartyName: null,
      counterpartyAccount: null,
    });
  });

  it('bounds the reference to 1024 characters', async () => {
    const { entries } = await readText(
      statement('LONG', [
        ...HEAD,
        ':60F:C240101EUR0,',
        ':61:240102C1,NTRFNONREF',
        ...Array.from({ length: 40 }, () => `:86:${'x'.repeat(60)}`),
        ':62F:C240102EUR1,',
      ]),
    );
    expect(entries[0]?.reference).toHaveLength(1024);
  });

  it('dates an entry date across the turn of the year', async () => {
    const { entries } = await readText(
      statement('YEAR', [
        ...HEAD,
        ':60F:C231231EUR0,',
        ':61:2312310102C1,NTRFNONREF',
        ':61:2401021231C1,NTRFNONREF',
        ':61:991231C1,NTRFNONREF',
        ':62F:C240102EUR3,',
      ]),
    );
    expect(entries.map((e) => [e.valueDate, e.bookedAt])).toEqual([
      ['2023-12-31', '2024-01-02'],
      ['2024-01-02', '2023-12-31'],
      ['1999-12-31', '1999-12-31'],
    ]);
  });

  it('ends a statement at the next :20: and warns when a chained statement does not open at the last closing', async () => {
    const text = [
      ':20:S1',
      ...HEAD,
      ':60F:C240101EUR100,00',
      ':61:240101D10,00NTRFNONREF',
      ':62F:C240101EUR90,00',
      ':20:S2',
      ...HEAD,
      ':60F:C240102EUR90,00',
      ':62F:C240102EUR90,00',
      ':20:S3',
      ...HEAD,
      ':60F:C240104EUR75,00',
      ':62F:C240104EUR75,00',
      ':20:S4',
      ':25:OTHER',
      ':28C:1',
      ':60F:C240104EUR5,00',
      ':62F:C240104EUR5,00',
    ].join('\n');
    const { summary } = await readText(text);
    expect(summary.counts.statements).toBe(4);
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(summary.warnings).toEqual([
      'statement 3 opens at 75.00 EUR but statement 2 closed at 90.00 EUR: a statement may be missing',
    ]);
  });

  it('reads 50,000 statement lines streamed in chunks, yielding entries before the input ends', async () => {
    const N = 50_000;
    let chunksRead = 0;
    let expectedCents = 0n;
    async function* big(): AsyncGenerator<Buffer> {
      yield Buffer.from(':20:BIG\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n:60F:C240101EUR0,00\r\n');
      let lines: string[] = [];
      for (let i = 1; i <= N; i++) {
        const cents = BigInt((i * 37) % 100000);
        const credit = i % 3 !== 0;
        expectedCents += credit ? cents : -cents;
        lines.push(
          `:61:240102${credit ? 'C' : 'D'}${cents / 100n},${String(cents % 100n).padStart(2, '0')}NTRFREF${i}`,
          `:86:payment ${i}`,
        );
        if (lines.length >= 2000) {
          chunksRead++;
          yield Buffer.from(lines.join('\r\n') + '\r\n');
          lines = [];
        }
      }
      chunksRead++;
      yield Buffer.from(lines.join('\r\n') + '\r\n');
      const neg = expectedCents < 0n;
      const abs = neg ? -expectedCents : expectedCents;
      yield Buffer.from(
        `:62F:${neg ? 'D' : 'C'}240102EUR${abs / 100n},${String(abs % 100n).padStart(2, '0')}\r\n-\r\n`,
      );
    }
    const gen = readMt940(big());
    let count = 0;
    let chunksAtFirstEntry = -1;
    let last: BankEntry | undefined;
    let r = await gen.next();
    while (!r.done) {
      if (count === 0) chunksAtFirstEntry = chunksRead;
      count++;
      last = r.value;
      r = await gen.next();
    }
    expect(count).toBe(N);
    expect(chunksAtFirstEntry).toBe(1);
    expect(last).toMatchObject({
      txnId: `NL91ABNA0417164300/1/1/240101/${N}`,
      reference: `REF${N} payment ${N}`,
      amount: '500.00',
    });
    expect(r.value.counts).toEqual({ statements: 1, entries: N, credits: 33_334, debits: 16_666 });
    expect(r.value.checks).toHaveLength(1);
    expect(r.value.checks[0]?.ok).toBe(true);
  });
});

/** `n` one-entry statements, each on its own account, streamed in chunks; those `unbalanced(i)` picks close at 2.00 instead of 1.00. */
