import fs from 'node:fs';
import path from 'node:path';
import { corpusDir } from '@strongroom/testing';
import { readMt940 } from './mt940';
import { type BankEntry, type FormatSummary } from './types';
import { formatErrorOf, readAll } from './reader-test-support';

const CORPUS = corpusDir('mt940');

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

const read = (input: AsyncIterable<Buffer>) => readAll(readMt940, input);

const readText = (text: string) => read(chunks(text));
const readCorpus = (file: string) => read(fs.createReadStream(path.join(CORPUS, file)) as AsyncIterable<Buffer>);

const rejection = formatErrorOf;

/** One statement, lines joined with CRLF. */
function statement(ref: string, fields: string[]): string {
  return [`:20:${ref}`, ...fields, '-', ''].join('\r\n');
}

type Verdict =
  | { verdict: 'reconciled'; statements: number; entries: number }
  | {
      verdict: 'not reconciled';
      statements: number;
      entries: number;
      failed: [name: string, expected: string, found: string][];
    }
  | { verdict: 'rejected'; error: string };

const ok = (statements: number, entries: number): Verdict => ({ verdict: 'reconciled', statements, entries });
const bad = (statements: number, entries: number, ...failed: [string, string, string][]): Verdict => ({
  verdict: 'not reconciled',
  statements,
  entries,
  failed,
});
const rejected = (error: string): Verdict => ({ verdict: 'rejected', error });
const balance = (stmt: string, n: number, ccy: string, open = '60F', close = '62F') =>
  `${stmt}: opening :${open}: + ${n} statement lines :61: = closing :${close}: (${ccy})`;

/** Every file of corpus/mt940 and what the reader must make of it (see corpus/SOURCES.md). */
const EXPECTED: Record<string, Verdict> = {
  'ASNB/mt940.txt': ok(31, 8),
  'ASNB/mt940_with_spaces_for_entry_date.txt': ok(31, 8),
  'betterplace/missing_crlf_at_end.sta': rejected(
    'line 1: found :62F: outside a statement: expected :20: (transaction reference number) to open one first',
  ),
  'betterplace/sepa_mt9401.sta': ok(26, 97),
  'betterplace/sepa_snippet.sta': bad(2, 11, [
    balance('statement 2 (:20: T089414096000001)', 7, 'EUR'),
    '-4472049.09',
    '-4472349.17',
  ]),
  'betterplace/sepa_snippet_broken.sta': rejected(
    'line 6: statement 1 (:20: T089414086000001): a second account identification :25: (the first is on line 2)',
  ),
  'betterplace/with_binary_character.sta': ok(2, 4),
  'citi/mt940.txt': ok(1, 5),
  'cmxl/mt940.sta': ok(3, 16),
  'jejik/abnamro.sta': bad(
    2,
    10,
    [balance('statement 1 (:20: ABN AMRO BANK NV)', 8, 'EUR'), '876.84', '2914.84'],
    [balance('statement 2 (:20: ABN AMRO BANK NV)', 2, 'EUR', '60M', '62M'), '1849.75', '2852.35'],
  ),
  'jejik/generic.sta': ok(2, 2),
  'jejik/ing.sta': bad(1, 7, [balance('statement 1 (:20: MPBZ)', 7, 'EUR'), '3.47', '-45.59']),
  'jejik/knab.sta': rejected(
    'line 17: statement line :61: "1407290729C500NTRF29-07-2014 10:05//B4G2…" does not parse: amount "500" has no decimal comma',
  ),
  'jejik/postfinance.sta': bad(2, 4, [
    balance('statement 2 (:20: 2014040708285928)', 2, 'CHF', '60M'),
    '159.6',
    '159.4',
  ]),
  'jejik/rabobank-iban.sta': ok(2, 4),
  'jejik/rabobank.sta': bad(
    4,
    5,
    [balance('statement 1 (:20: 940A110615)', 1, 'EUR'), '395.82', '-740.11'],
    [balance('statement 3 (:20: 940A110617)', 2, 'EUR'), '1250.87', '1014.31'],
  ),
  'jejik/sns.sta': ok(2, 2),
  'jejik/triodos.sta': bad(1, 2, [balance('statement 1 (:20: 1308728725026/1)', 2, 'EUR'), '4370.79', '4259.39']),
  'mBank/mt940.sta': ok(1, 3),
  'mBank/mt942.sta': ok(1, 3),
  'mBank/with_newline_in_tnr.sta': bad(1, 2, [
    balance('statement 1 (:20: ST170201CYC/1)', 2, 'PLN'),
    '860.17',
    '89.46',
  ]),
  'sberbank/171011_01234945.sta': ok(1, 3),
  'self-provided/details_60-63.sta': bad(1, 1, [
    balance('statement 1 (:20: STARTUMS)', 1, 'EUR'),
    '12345.98',
    '12111.97',
  ]),
  'self-provided/empty_non_swift.sta': rejected(
    'no MT940 statement or MT942 report: expected a :20: field (transaction reference number) opening one, found only the field :NS: (line 1)',
  ),
  'self-provided/february_30.sta': ok(1, 1),
  'self-provided/gv_codes.sta': rejected(
    'line 8: statement 1 (:20: STARTUMS): no closing balance :62F:/:62M: (a mandatory field)',
  ),
  'self-provided/invalid_statement.sta': rejected(
    'no MT940 statement or MT942 report: expected a :20: field (transaction reference number) opening one, found only text without a field tag ("1" on line 1)',
  ),
  'self-provided/malformed_details.sta': bad(1, 1, [
    balance('statement 1 (:20: STARTUMS)', 1, 'EUR'),
    '12345.98',
    '12111.97',
  ]),
  'self-provided/multiline.sta': rejected(
    'line 38: found :61: outside a statement: expected :20: (transaction reference number) to open one first',
  ),
  'self-provided/overly_long_details.sta': bad(1, 1, [
    balance('statement 1 (:20: STARTUMS)', 1, 'EUR'),
    '12345.98',
    '12111.97',
  ]),
  'self-provided/raiffeisen-cmi.sta': bad(1, 7, [
    balance('statement 1 (:20: STARTUMS)', 7, 'HUF'),
    '25281687.60',
    '24158423.60',
  ]),
  'self-provided/raphaelm.sta': rejected(
    'line 27: balance :62M: "C020315105000,00" does not parse: expected a 3-letter currency code after the date 020315, found "105"',
  ),
};

function corpusFiles(dir = CORPUS): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory()
        ? corpusFiles(path.join(dir, d.name))
        : [path.relative(CORPUS, path.join(dir, d.name)).split(path.sep).join('/')],
    )
    .sort();
}

describe('readMt940 over the MT940/MT942 corpus', () => {
  it('has an expectation for every corpus file and no expectation without a file', () => {
    expect(corpusFiles()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('gives %s its expected verdict', async (file, want) => {
    if (want.verdict === 'rejected') {
      const err = await rejection(readCorpus(file));
      expect(err.message).toContain(want.error);
      return;
    }
    const { entries, summary } = await readCorpus(file);
    expect(summary.counts.statements).toBe(want.statements);
    expect(entries).toHaveLength(want.entries);
    expect(summary.counts.entries).toBe(want.entries);
    expect(summary.checks.length).toBeGreaterThan(0);
    const failed = summary.checks.filter((c) => !c.ok).map((c) => [c.name, c.expected, c.found]);
    expect(failed).toEqual(want.verdict === 'reconciled' ? [] : want.failed);
    expect(new Set(entries.map((e) => e.txnId)).size).toBe(entries.length);
  });
});

describe('readMt940 maps corpus entries', () => {
  it('maps the German structured :86: of sepa_snippet (remittance, counterparty) and a C entry with funds code R', async () => {
    const { entries, summary } = await readCorpus('betterplace/sepa_snippet.sta');
    expect(entries[0]).toEqual({
      txnId: '50880050/0194787400888/00004/00001/070903/1',
      account: '50880050/0194787400888',
      counterpartyAccount: 'DE14508800500194785000',
      counterpartyName: 'KARL KAUFMANN',
      amount: '50990.05',
      currency: 'EUR',
      bookedAt: '2007-09-04',
      valueDate: '2007-09-07',
      reference: 'EREF+EndToEndId TFNR 22 004 00001SVWZ+Verw CTSc-01 BC-PPP TFNr 22 004',
      raw: expect.stringMatching(
        /^:61:0709070904CR50990,05NTRFNONREF\/\/0724710333343453\n:86:166\?00GUTSCHRIFT.*\nr$/s,
      ),
      location: 'statement 1 (:20: T089414086000001), :61: #1 (line 5)',
    });
    expect(entries[3]).toMatchObject({
      amount: '-1500.00',
      reference: 'KREF+ KREF+TFNr 01022 MSGID CTSc-01 EBBMTLG:SEPA-Ueberweisungsauftrag Datei mit 0000001 Zahlungen',
    });
    expect(summary.controlTotals['statement 1 (:20: T089414086000001) opening EUR']).toBe('766656.49');
    expect(summary.controlTotals['statement 2 (:20: T089414096000001) closing EUR']).toBe('-4472049.09');
    expect(summary).toMatchObject({
      format: 'mt940',
      encoding: 'utf-8',
      counts: { statements: 2, entries: 11, credits: 8, debits: 3 },
    });
  });

  it('signs a reversal of credit (RC) negative in sepa_mt9401', async () => {
    const { entries } = await readCorpus('betterplace/sepa_mt9401.sta');
    expect(entries[5]).toMatchObject({
      txnId: '50880050/0194774600888/00004/00001/070903/6',
      amount: '-204.88',
      reference: '0904059003',
      raw: ':61:0709040904RCR204,88NRTINONREF\n:86:079?00SAMMLER/STORNO?109800?200904059003',
    });
  });

  it('reads the mBank MT942 report with its :13D: date-time in the key and its :90D:/:90C: totals checked', async () => {
    const { entries, summary } = await readCorpus('mBank/mt942.sta');
    expect(summary.format).toBe('mt942');
    expect(entries[2]).toMatchObject({
      txnId: 'PL29114010810000267002001002/1/1/1701191815+0100/3',
      account: 'PL29114010810000267002001002',
      amount: '0.01',
      currency: 'PLN',
      bookedAt: '2017-01-19',
      valueDate: '2017-01-19',
      reference:
        '911 TRANSAKCJA COLLECT; ID IPH: XX000000000003; Z RACH.: 56114010810000267002001001; OD: JAN NOWAK UL. NIJAKA 1 M 2 31-234 KRAKOW; TYT.: PRZELEW SRODKOW ; TNR: 179171073864291.000001',
    });
    expect(summary.checks.map((c) => [c.name, c.location, c.expected, c.found, c.ok])).toEqual([
      ['statement 1 (:20: ST170119CYC/0001): :90D: number of debit entries (D, RC)', 'line 25', '0', '0', true],
      [
        'statement 1 (:20: ST170119CYC/0001): :90D: sum of debit entries (D, RC) (PLN)',
        'line 25',
        '0.00',
        '0.00',
        true,
      ],
      ['statement 1 (:20: ST170119CYC/0001): :90C: number of credit entries (C, RD)', 'line 26', '3', '3', true],
      [
        'statement 1 (:20: ST170119CYC/0001): :90C: sum of credit entries (C, RD) (PLN)',
        'line 26',
        '0.03',
        '0.03',
        true,
      ],
    ]);
  });

  it('passes an impossible value date through for the mapper to dead-letter (february_30)', async () => {
    const { entries } = await readCorpus('self-provided/february_30.sta');
    expect(entries[0]).toMatchObject({
      valueDate: '2016-02-30',
      bookedAt: '2016-03-01',
      amount: '-6.00',
      reference: 'Pauschalen',
    });
  });

  it('warns about the gaps between the chained Rabobank statements', async () => {
    const { summary } = await readCorpus('jejik/rabobank.sta');
    expect(summary.warnings).toEqual([
      'statement 2 opens at 1000.89 EUR but statement 1 closed at 395.82 EUR: a statement may be missing',
      'statement 3 opens at 1295.82 EUR but statement 2 closed at 1000.89 EUR: a statement may be missing',
    ]);
  });
});

const HEAD = [':25:DE89370400440532013000', ':28C:7/1'];

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
