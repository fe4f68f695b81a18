import fs from 'node:fs';
import path from 'node:path';
import { corpusDir } from '@strongroom/testing';
import { readBai2 } from './bai2';
import { type FormatSummary } from './types';
import { formatErrorOf, readAll } from './reader-test-support';

/** The BAI2 files of the shared corpus, each read as a stream, with what the reader must make of it. */
const CORPUS = corpusDir('bai2');

const read = (input: AsyncIterable<Buffer>) => readAll(readBai2, input);

const readCorpus = (file: string) => read(fs.createReadStream(path.join(CORPUS, file)) as AsyncIterable<Buffer>);

const rejection = formatErrorOf;

const failedChecks = (s: FormatSummary) =>
  s.checks.filter((c) => !c.ok).map((c): [string, string, string] => [c.name, c.expected, c.found]);

type Verdict =
  | { verdict: 'reconciled'; details: number; warnings: RegExp[] }
  | { verdict: 'not reconciled'; details: number; failed: [name: string, expected: string, found: string][] }
  | { verdict: 'rejected'; error: string };

const ok = (details: number, ...warnings: RegExp[]): Verdict => ({ verdict: 'reconciled', details, warnings });
const bad = (details: number, ...failed: [string, string, string][]): Verdict => ({
  verdict: 'not reconciled',
  details,
  failed,
});

/** Every file of corpus/bai2 and what the reader must make of it (see corpus/SOURCES.md). */
const EXPECTED: Record<string, Verdict> = {
  'account_trailer_amount_blank_example.bai2': ok(0),
  'example.bai2': ok(1),
  'example2.bai2': ok(5),
  'nwb_example.bai2': ok(5, /creation time "14:59:35" is not HHMM/),
  'sample1.txt': ok(17),
  'sample2.txt': ok(4, /group status "3" \(correction\)/),
  // several records on a line, and line 19 has no record code: it continues the 16 text of line 18;
  // counted as records (not lines, not fragments) the file's own counts all agree
  'sample3.txt': ok(
    26,
    /^line 19: a line without a record code continues the text of the 16 transaction detail at line 18/,
  ),
  'svb_us_example.bai2': ok(2),
  'sample4-continuations-newline-delimited.txt': bad(
    17,
    ['account 107049932 control total', '-1260161341762', '7999960'],
    ['account 107049932 number of records', '26', '18'],
    ['account 104108339 control total', '6869722', '666917818'],
    ['account 104108339 number of records', '8', '88'],
    ['group 1 control total', '13060195162', '-1247101146600'],
    ['group 1 number of accounts', '4', '5'],
    ['group 1 number of records', '16', '114'],
    ['file number of records', '18', '116'],
  ),
  'sample5-issue113.txt': bad(
    20,
    ['account 107049932 control total', '-1260161341762', '7999960'],
    ['account 107049932 number of records', '26', '18'],
    ['account 104108339 control total', '6869722', '4465382668'],
    ['account 104108339 number of records', '8', '95'],
    ['group 1 control total', '13060195162', '-1247101146600'],
    ['group 1 number of accounts', '4', '5'],
    ['group 1 number of records', '16', '121'],
    ['file number of records', '18', '123'],
  ),
  'sample-parseError.txt': {
    verdict: 'rejected',
    error: 'line 1: unknown record code "00": expected 01, 02, 03, 16, 88, 49, 98 or 99',
  },
};

describe('readBai2 on the corpus', () => {
  it('has an expected verdict for every corpus file', () => {
    expect(fs.readdirSync(CORPUS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('reads %s with the expected verdict', async (file, expected) => {
    if (expected.verdict === 'rejected') {
      expect((await rejection(readCorpus(file))).message).toBe(expected.error);
      return;
    }
    const { entries, summary } = await readCorpus(file);
    expect(summary.format).toBe('bai2');
    expect(summary.version).toBe('2');
    expect(entries).toHaveLength(expected.details);
    expect(summary.counts['details']).toBe(expected.details);
    if (expected.verdict === 'reconciled') {
      expect(failedChecks(summary)).toEqual([]);
      expect(summary.warnings).toHaveLength(expected.warnings.length);
      expected.warnings.forEach((w, i) => expect(summary.warnings[i]).toMatch(w));
    } else {
      expect(failedChecks(summary)).toEqual(expected.failed);
    }
  });

  it('maps the Citi example: a GBP credit with a value date, its bank reference as key and its 88 lines as reference', async () => {
    const { entries, summary } = await readCorpus('example.bai2');
    expect(entries[0]).toEqual({
      txnId: '150715/77777777/1234567890',
      account: '77777777',
      counterpartyAccount: null,
      counterpartyName: null,
      amount: '0.01',
      currency: 'GBP',
      bookedAt: '2015-07-15',
      valueDate: '2015-07-15',
      reference:
        'RP12312312312312 FR:FP SIP INCOMING ENDT:20150715 TRID:RP12312312312312 PY:RP1231231231231200                 A1234BC 22/03/66 BI:22222222 OB:111111 BUCKINGHAM PALACE OB3:BARCLAYS BANK PLC BO:11111111 BO1:DOE JO',
      raw: expect.stringMatching(
        /^16,191,001,V,150715,,1234567890,RP12312312312312\/\n88,FR:FP SIP INCOMING\n(88,.*\n){5}88,BO:11111111 BO1:DOE JO$/,
      ),
      location: 'line 4 (16 record, account 77777777)',
    });
    expect(summary.counts).toEqual({ groups: 1, accounts: 1, details: 1, continuations: 7 });
    expect(summary.controlTotals).toEqual({
      'account 77777777 control total': '20001',
      'group 1 control total': '20001',
      'file control total': '20001',
    });
  });

  it('maps sample1: CAD debits and credits, V value dates, and keys that go on counting when the account is reported again', async () => {
    const { entries } = await readCorpus('sample1.txt');
    expect(entries[0]).toMatchObject({
      txnId: '060317/10200123456/#1',
      amount: '-25.00',
      currency: 'CAD',
      bookedAt: '2006-03-17',
      valueDate: '2006-03-16',
      reference: 'RETURNED CHEQUE',
    });
    expect(entries[3]).toMatchObject({
      txnId: '060317/10200123456/#4',
      amount: '2035.00',
      reference: 'TFR 1020 0345678',
    });
    // the second 03 of the same account on the same as-of date: #12, not #1 again (keys stay unique)
    expect(entries[11]).toMatchObject({
      txnId: '060317/10200123456/#12',
      amount: '115.00',
      valueDate: '2006-03-17',
      location: 'line 19 (16 record, account 10200123456)',
    });
    expect(new Set(entries.map((e) => e.txnId)).size).toBe(entries.length);
  });

  it('names an account of a later group by its group, so the same account number in two groups keeps two control totals', async () => {
    const { entries, summary } = await readCorpus('svb_us_example.bai2');
    expect(entries.map((e) => e.txnId)).toEqual(['220201/1234567890/172629', '220202/1234567890/150675']);
    expect(summary.controlTotals).toEqual({
      'account 1234567890 control total': '138884258',
      'group 1 control total': '138884258',
      'group 2 account 1234567890 control total': '143145938',
      'group 2 control total': '143145938',
      'file control total': '282030196',
    });
  });

  it('maps sample3: two details on one line, and a text wrapped onto a line without a record code', async () => {
    const { entries } = await readCorpus('sample3.txt');
    expect(entries.slice(0, 2).map((e) => [e.txnId, e.amount, e.location, e.raw])).toEqual([
      [
        '220919/1111111/#1',
        '25.00',
        'line 3 (16 record, account 1111111)',
        '16,142,2500,Z,,,TRANSFER   PAYPAL             PPD/',
      ],
      [
        '220919/1111111/#2',
        '5.00',
        'line 3 (16 record, account 1111111)',
        '16,142,500,Z,,,TRANSFER   MSPBNA BANK        PPD/',
      ],
    ]);
    expect(entries[8]).toMatchObject({
      txnId: '220919/11111111/#1',
      amount: '25.00',
      currency: 'USD',
      bookedAt: '2022-09-19',
      valueDate: null,
      reference: '111111     ACH_SETL           1111111111 111111111111111 1111111111',
      raw: '16,142,2500,Z,,,111111     ACH_SETL           1111111111\n111111111111111        /\n88,       1111111111/',
    });
  });
});
