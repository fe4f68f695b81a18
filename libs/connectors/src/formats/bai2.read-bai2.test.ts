import fs from 'node:fs';
import path from 'node:path';
import { corpusDir } from '@strongroom/testing';
import { readBai2 } from './bai2';
import { DecimalSum } from './decimal';
import { FormatError, type BankEntry, type FormatSummary } from './types';

const CORPUS = corpusDir('bai2');

/** The text as UTF-8 in chunks of `size` bytes (records and lines cut anywhere). */
async function* chunks(text: string, size = 37): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function read(input: AsyncIterable<Buffer>): Promise<{ entries: BankEntry[]; summary: FormatSummary }> {
  const gen = readBai2(input);
  const entries: BankEntry[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { entries, summary: r.value };
    entries.push(r.value);
  }
}

const readLines = (...lines: string[]) => read(chunks(lines.join('\n')));
const readCorpus = (file: string) => read(fs.createReadStream(path.join(CORPUS, file)) as AsyncIterable<Buffer>);

async function rejection(p: Promise<unknown>): Promise<FormatError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError, but the file was read');
}

const failedChecks = (s: FormatSummary) => s.checks.filter((c) => !c.ok).map((c): [string, string, string] => [c.name, c.expected, c.found]);

type Verdict =
  | { verdict: 'reconciled'; details: number; warnings: RegExp[] }
  | { verdict: 'not reconciled'; details: number; failed: [name: string, expected: string, found: string][] }
  | { verdict: 'rejected'; error: string };

const ok = (details: number, ...warnings: RegExp[]): Verdict => ({ verdict: 'reconciled', details, warnings });
const bad = (details: number, ...failed: [string, string, string][]): Verdict => ({ verdict: 'not reconciled', details, failed });

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
  'sample3.txt': ok(26, /^line 19: a line without a record code continues the text of the 16 transaction detail at line 18/),
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
  'sample-parseError.txt': { verdict: 'rejected', error: 'line 1: unknown record code "00": expected 01, 02, 03, 16, 88, 49, 98 or 99' },
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
      raw: expect.stringMatching(/^16,191,001,V,150715,,1234567890,RP12312312312312\/\n88,FR:FP SIP INCOMING\n(88,.*\n){5}88,BO:11111111 BO1:DOE JO$/),
      location: 'line 4 (16 record, account 77777777)',
    });
    expect(summary.counts).toEqual({ groups: 1, accounts: 1, details: 1, continuations: 7 });
    expect(summary.controlTotals).toEqual({ 'account 77777777 control total': '20001', 'group 1 control total': '20001', 'file control total': '20001' });
  });

  it('maps sample1: CAD debits and credits, V value dates, and keys that go on counting when the account is reported again', async () => {
    const { entries } = await readCorpus('sample1.txt');
    expect(entries[0]).toMatchObject({ txnId: '060317/10200123456/#1', amount: '-25.00', currency: 'CAD', bookedAt: '2006-03-17', valueDate: '2006-03-16', reference: 'RETURNED CHEQUE' });
    expect(entries[3]).toMatchObject({ txnId: '060317/10200123456/#4', amount: '2035.00', reference: 'TFR 1020 0345678' });
    // the second 03 of the same account on the same as-of date: #12, not #1 again (keys stay unique)
    expect(entries[11]).toMatchObject({ txnId: '060317/10200123456/#12', amount: '115.00', valueDate: '2006-03-17', location: 'line 19 (16 record, account 10200123456)' });
    expect(new Set(entries.map((e) => e.txnId)).size).toBe(entries.length);
  });

  it('maps sample3: two details on one line, and a text wrapped onto a line without a record code', async () => {
    const { entries } = await readCorpus('sample3.txt');
    expect(entries.slice(0, 2).map((e) => [e.txnId, e.amount, e.location, e.raw])).toEqual([
      ['220919/1111111/#1', '25.00', 'line 3 (16 record, account 1111111)', '16,142,2500,Z,,,TRANSFER   PAYPAL             PPD/'],
      ['220919/1111111/#2', '5.00', 'line 3 (16 record, account 1111111)', '16,142,500,Z,,,TRANSFER   MSPBNA BANK        PPD/'],
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

/** A balanced file: two accounts (USD, EUR) in one group; totals and counts agree. */
const BALANCED = [
  '01,SENDER,RECEIVER,240131,1200,FILE1,80,,2/',
  '02,RECEIVER,BANK,1,240130,2400,USD,2/',
  '03,111,,010,100000,,,015,99000,,/',
  '16,195,2500,Z,BR1,CR1,Wire in/',
  '16,475,1500,0,,CHK123,Check paid/',
  '49,203000,4/',
  '03,222,EUR,040,500,,/',
  '16,699,750,,,/',
  '88,FEES JANUARY',
  '49,1250,4/',
  '98,204250,2,10/',
  '99,204250,1,12/',
];
const replace = (lines: string[], from: string, to: string) => lines.map((l) => (l === from ? to : l));

describe('readBai2 on small files', () => {
  it('reads a balanced file: entries signed by type code at the currency scale, all checks passing', async () => {
    const { entries, summary } = await readLines(...BALANCED);
    expect(entries.map((e) => [e.txnId, e.account, e.amount, e.currency, e.bookedAt, e.reference])).toEqual([
      ['240130/111/BR1', '111', '25.00', 'USD', '2024-01-30', 'CR1 Wire in'],
      ['240130/111/#2', '111', '-15.00', 'USD', '2024-01-30', 'CHK123 Check paid'],
      ['240130/222/#1', '222', '-7.50', 'EUR', '2024-01-30', 'FEES JANUARY'],
    ]);
    expect(failedChecks(summary)).toEqual([]);
    expect(summary.checks.map((c) => c.name)).toEqual([
      'account 111 control total',
      'account 111 number of records',
      'account 222 control total',
      'account 222 number of records',
      'group 1 control total',
      'group 1 number of accounts',
      'group 1 number of records',
      'file control total',
      'file number of groups',
      'file number of records',
    ]);
    expect(summary.checks[0]).toEqual({ name: 'account 111 control total', location: 'line 6 (49 account trailer, account 111)', expected: '203000', found: '203000', ok: true });
    expect(summary.counts).toEqual({ groups: 1, accounts: 2, details: 3, continuations: 1 });
    expect(summary.warnings).toEqual([]);
  });

  it('fails the account and group totals when a 49 declares a wrong total', async () => {
    const { summary } = await readLines(...replace(BALANCED, '49,203000,4/', '49,203001,4/'));
    // the 98 is checked against the declared 49 totals, so the wrong 49 shows there too
    expect(failedChecks(summary)).toEqual([
      ['account 111 control total', '203001', '203000'],
      ['group 1 control total', '204250', '204251'],
    ]);
  });

  it('fails only the account count when a 98 declares a wrong number of accounts', async () => {
    const { summary } = await readLines(...replace(BALANCED, '98,204250,2,10/', '98,204250,3,10/'));
    expect(failedChecks(summary)).toEqual([['group 1 number of accounts', '3', '2']]);
    expect(summary.checks.find((c) => !c.ok)?.location).toBe('line 11 (98 group trailer, group 1)');
  });

  it('fails the file record count when a 99 declares a wrong number of records', async () => {
    const { summary } = await readLines(...replace(BALANCED, '99,204250,1,12/', '99,204250,1,13/'));
    expect(failedChecks(summary)).toEqual([['file number of records', '13', '12']]);
  });

  it('accepts a blank 49 total only for an account without amounts', async () => {
    const blank = await readLines('01,S,R,240131,1200,1,,,2/', '02,R,S,1,240130,,,2/', '03,111,/', '49,,2/', '98,,1,4/', '99,,1,6/');
    expect(failedChecks(blank.summary)).toEqual([]);
    expect(blank.summary.controlTotals['account 111 control total']).toBe('(blank)');
    const withAmounts = await readLines(...replace(BALANCED, '49,1250,4/', '49,,4/'));
    expect(failedChecks(withAmounts.summary)).toEqual([
      ['account 222 control total', '(blank)', '1250'],
      ['group 1 control total', '204250', '203000'],
    ]);
  });

  it('counts records that share a line one by one, and says so when the file counted lines instead', async () => {
    const { summary } = await readLines('01,S,R,240131,1200,1,,,2/  02,R,S,1,240130,,,2/', '03,444,,010,100,,/ 16,195,100,,,/', '49,200,2/ 98,200,1,3/', '99,200,1,4/');
    expect(failedChecks(summary)).toEqual([
      ['account 444 number of records', '2', '3'],
      ['group 1 number of records', '3', '5'],
      ['file number of records', '4', '7'],
    ]);
    const why = 'BAI2 counts records (each of several on a line, and every 88), which gives';
    expect(summary.warnings).toEqual([
      `line 3 (49 account trailer, account 444): account 444 number of records is 2, the number of lines from line 2 to line 3; ${why} 3`,
      `line 3 (98 group trailer, group 1): group 1 number of records is 3, the number of lines from line 1 to line 3; ${why} 5`,
      `line 4 (99 file trailer): file number of records is 4, the number of lines from line 1 to line 4; ${why} 7`,
    ]);
  });

  it('joins an 88 continuation to the 16 text, keeping commas and slashes that do not end the record', async () => {
    const { entries, summary } = await readLines(
      '01,S,R,240131,1200,1,,,2/',
      '02,R,S,1,240130,,,2/',
      '03,111,,,,,/',
      '16,195,2500,Z,BR1,CR1,PAYMENT FROM ACME, INV 12/34',
      '88,SECOND LINE/',
      '16,495,100,,BR2/',
      '88,CUST2,text in the continuation',
      '49,2600,6/',
      '98,2600,1,8/',
      '99,2600,1,10/',
    );
    expect(entries.map((e) => [e.txnId, e.amount, e.reference, e.raw])).toEqual([
      ['240130/111/BR1', '25.00', 'CR1 PAYMENT FROM ACME, INV 12/34 SECOND LINE', '16,195,2500,Z,BR1,CR1,PAYMENT FROM ACME, INV 12/34\n88,SECOND LINE/'],
      ['240130/111/BR2', '-1.00', 'CUST2 text in the continuation', '16,495,100,,BR2/\n88,CUST2,text in the continuation'],
    ]);
    expect(failedChecks(summary)).toEqual([]);
    expect(summary.counts['continuations']).toBe(2);
  });

  it('continues 03 summaries over 88 records, ignoring the empty padding fields before a "/"', async () => {
    const { summary } = await readLines(
      '01,S,R,240131,1200,1,,,2/',
      '02,R,S,1,240130,,,2/',
      '03,111,USD,010,1000,,,015,2000,,,/',
      '88,040,3000,,,045,4000,,,/',
      '88,100,500,2,,190/',
      '88,600,1,/',
      '49,11100,5/',
      '98,11100,1,7/',
      '99,11100,1,9/',
    );
    expect(failedChecks(summary)).toEqual([]);
  });

  it('reads the extra fields of the S, V and D funds types, which do not count in the control total', async () => {
    const { entries, summary } = await readLines(
      '01,S,R,240131,1200,1,,,2/',
      '02,R,S,1,240130,,,2/',
      '03,333,,010,0,,,190,70000000,4,D,2,0,20000000,1,50000000/',
      '16,195,100000,S,50000,30000,20000,BR-S,,S availability/',
      '16,195,200000,V,240201,1200,BR-V,,V value dated/',
      '16,195,300000,D,3,0,100000,1,150000,2,50000,BR-D,,D distributed/',
      '49,70600000,5/',
      '98,70600000,1,7/',
      '99,70600000,1,9/',
    );
    expect(entries.map((e) => [e.txnId, e.amount, e.valueDate, e.reference])).toEqual([
      ['240130/333/BR-S', '1000.00', null, 'S availability'],
      ['240130/333/BR-V', '2000.00', '2024-02-01', 'V value dated'],
      ['240130/333/BR-D', '3000.00', null, 'D distributed'],
    ]);
    expect(failedChecks(summary)).toEqual([]);
  });

  it('signs loan and customized type codes as the specification does, and does not book 890 non-monetary details', async () => {
    const { entries, summary } = await readLines(
      '01,S,R,240131,1200,1,,,2/',
      '02,R,S,1,240130,,JPY,2/',
      '03,555,/',
      '16,721,100,,/',
      '16,760,200,,/',
      '16,920,300,,/',
      '16,960,400,,/',
      '16,890,,,,,NOTE/',
      '49,1000,7/',
      '98,1000,1,9/',
      '99,1000,1,11/',
    );
    expect(entries.map((e) => [e.amount, e.currency, e.filter])).toEqual([
      ['100', 'JPY', undefined],
      ['-200', 'JPY', undefined],
      ['300', 'JPY', undefined],
      ['-400', 'JPY', undefined],
      ['0', 'JPY', 'NOT_BOOKED'],
    ]);
    expect(failedChecks(summary)).toEqual([]);
  });

  it.each([
    ['015', 'type code 015 is an account status code, with no debit or credit direction; expected a transaction type code'],
    ['905', 'type code 905 is a customized account status code, with no debit or credit direction; expected a transaction type code'],
    ['850', 'type code 850 is not assigned by BAI2, with no debit or credit direction; expected a transaction type code'],
  ])('rejects a 16 with type code %s, which has no direction', async (code, message) => {
    const err = await rejection(readLines(...replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', `16,${code},2500,Z,BR1,CR1,Wire in/`)));
    expect(err.location).toBe('line 4 (16 record, account 111)');
    expect(err.message).toBe(`line 4 (16 record, account 111): ${message}`);
  });

  it.each<[string, string[], string]>([
    ['a 16 outside an account', ['01,S,R,240131,1200,1,,,2/', '02,R,S,1,240130,,,2/', '16,195,2500,Z,,,/', '98,2500,0,3/', '99,2500,1,5/'], 'line 3: expected a 03 account identifier or the 98 group trailer, found a 16 transaction detail'],
    ['an unknown record code', [...BALANCED.slice(0, 4), '17,195,2500/', ...BALANCED.slice(4)], 'line 5: unknown record code "17": expected 01, 02, 03, 16, 88, 49, 98 or 99'],
    ['a file that does not start with a 01', BALANCED.slice(1), 'line 1: expected a 01 file header, found a 02 group header'],
    ['a file without a 99 at the end', BALANCED.slice(0, -1), 'line 11: expected a 02 group header or the 99 file trailer, found the end of the file (no 99 file trailer)'],
    ['a 49 without a 03', [...BALANCED.slice(0, 6), '49,0,1/', ...BALANCED.slice(6)], 'line 7: expected a 03 account identifier or the 98 group trailer, found a 49 account trailer'],
    ['a 98 inside an open account', replace(BALANCED, '49,1250,4/', '98,1250,1,3/').slice(0, 10), 'line 10: expected a 16 transaction detail or the 49 account trailer, found a 98 group trailer (account 222 from line 7 has no 49 yet)'],
    ['an 88 before any record', ['88,HELLO/', ...BALANCED], 'line 1: expected a 01 file header, found an 88 continuation with no record before it to continue'],
    ['a non-numeric amount', replace(BALANCED, '16,475,1500,0,,CHK123,Check paid/', '16,475,15.00,0,,CHK123,Check paid/'), 'line 5 (16 record, account 111): amount "15.00" is not an amount (expected digits with an optional sign and no decimal point)'],
    ['a non-numeric count', replace(BALANCED, '49,1250,4/', '49,1250,four/'), 'line 10 (49 account trailer, account 222): account 222 number of records "four" is not a number'],
    ['a non-numeric type code', replace(BALANCED, '16,475,1500,0,,CHK123,Check paid/', '16,47A,1500,0,,CHK123,Check paid/'), 'line 5 (16 record, account 111): type code "47A" is not a 3-digit number'],
    ['a malformed as-of date', replace(BALANCED, '02,RECEIVER,BANK,1,240130,2400,USD,2/', '02,RECEIVER,BANK,1,240230,2400,USD,2/'), 'line 2 (02 group header, group 1): as-of date "240230" is not a date (expected YYMMDD)'],
    ['a malformed value date', replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', '16,195,2500,V,24-01-30,,BR1,CR1,Wire in/'), 'line 4 (16 record, account 111): V value date "24-01-30" is not a date (expected YYMMDD)'],
    ['an unknown funds type', replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', '16,195,2500,X,BR1,CR1,Wire in/'), 'line 4 (16 record, account 111): funds type "X" is not one of 0, 1, 2, Z, S, V or D'],
    ['a D distribution with fewer pairs than it declares', replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', '16,195,2500,D,5,0,2500/'), 'line 4 (16 record, account 111): D distribution 2 of 5: days "" is not a number'],
    ['a version other than 2', replace(BALANCED, '01,SENDER,RECEIVER,240131,1200,FILE1,80,,2/', '01,SENDER,RECEIVER,240131,1200,FILE1,80,,3/'), 'line 1 (01 file header): version "3" is not supported: expected 2'],
    ['a line without a record code after a record ended by "/"', [...BALANCED.slice(0, 4), 'WIRE IN, CONTINUED', ...BALANCED.slice(4)], 'line 5: expected a record code (01, 02, 03, 16, 88, 49, 98 or 99) and a comma at the start of the line, found "WIRE IN, CONTINUED"'],
    ['a record after the 99', [...BALANCED, '02,RECEIVER,BANK,1,240131,2400,USD,2/'], 'line 13: expected nothing after the 99 file trailer, found a 02 group header'],
  ])('rejects %s, saying what was expected and what was found', async (_what, lines, message) => {
    expect((await rejection(readLines(...lines))).message).toBe(message);
  });

  it('accepts a last record without "/" and warns about a signed detail amount', async () => {
    const { entries, summary } = await readLines(...replace(replace(BALANCED, '16,475,1500,0,,CHK123,Check paid/', '16,475,-1500,0,,CHK123,Check paid/'), '99,204250,1,12/', '99,201250,1,12'));
    // the written -1500 goes into the control total as written; the debit code turns it into a credit
    expect(entries[1]?.amount).toBe('15.00');
    expect(failedChecks(summary)).toEqual([
      ['account 111 control total', '203000', '200000'],
      ['file control total', '201250', '204250'],
    ]);
    expect(summary.warnings).toEqual([expect.stringContaining('line 5 (16 record, account 111): the amount "-1500" is signed')]);
  });
});

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
