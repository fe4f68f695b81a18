import { readBai2 } from './bai2';
import { type FormatSummary } from './types';
import { formatErrorOf, readAll } from './reader-test-support';

// The reader on small files written here; the corpus files are read in bai2.read-bai2.corpus.test.ts,
// generated large files in bai2.read-bai2.large-files.test.ts.

/** The text as UTF-8 in chunks of `size` bytes (records and lines cut anywhere). */
async function* chunks(text: string, size = 37): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const read = (input: AsyncIterable<Buffer>) => readAll(readBai2, input);

const readLines = (...lines: string[]) => read(chunks(lines.join('\n')));

const rejection = formatErrorOf;

const failedChecks = (s: FormatSummary) =>
  s.checks.filter((c) => !c.ok).map((c): [string, string, string] => [c.name, c.expected, c.found]);

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
    expect(summary.checks[0]).toEqual({
      name: 'account 111 control total',
      location: 'line 6 (49 account trailer, account 111)',
      expected: '203000',
      found: '203000',
      ok: true,
    });
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
    const blank = await readLines(
      '01,S,R,240131,1200,1,,,2/',
      '02,R,S,1,240130,,,2/',
      '03,111,/',
      '49,,2/',
      '98,,1,4/',
      '99,,1,6/',
    );
    expect(failedChecks(blank.summary)).toEqual([]);
    expect(blank.summary.controlTotals['account 111 control total']).toBe('(blank)');
    const withAmounts = await readLines(...replace(BALANCED, '49,1250,4/', '49,,4/'));
    expect(failedChecks(withAmounts.summary)).toEqual([
      ['account 222 control total', '(blank)', '1250'],
      ['group 1 control total', '204250', '203000'],
    ]);
  });

  it('counts records that share a line one by one, and says so when the file counted lines instead', async () => {
    const { summary } = await readLines(
      '01,S,R,240131,1200,1,,,2/  02,R,S,1,240130,,,2/',
      '03,444,,010,100,,/ 16,195,100,,,/',
      '49,200,2/ 98,200,1,3/',
      '99,200,1,4/',
    );
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
      [
        '240130/111/BR1',
        '25.00',
        'CR1 PAYMENT FROM ACME, INV 12/34 SECOND LINE',
        '16,195,2500,Z,BR1,CR1,PAYMENT FROM ACME, INV 12/34\n88,SECOND LINE/',
      ],
      [
        '240130/111/BR2',
        '-1.00',
        'CUST2 text in the continuation',
        '16,495,100,,BR2/\n88,CUST2,text in the continuation',
      ],
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
    [
      '015',
      'type code 015 is an account status code, with no debit or credit direction; expected a transaction type code',
    ],
    [
      '905',
      'type code 905 is a customized account status code, with no debit or credit direction; expected a transaction type code',
    ],
    [
      '850',
      'type code 850 is not assigned by BAI2, with no debit or credit direction; expected a transaction type code',
    ],
  ])('rejects a 16 with type code %s, which has no direction', async (code, message) => {
    const err = await rejection(
      readLines(...replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', `16,${code},2500,Z,BR1,CR1,Wire in/`)),
    );
    expect(err.location).toBe('line 4 (16 record, account 111)');
    expect(err.message).toBe(`line 4 (16 record, account 111): ${message}`);
  });

  it.each<[string, string[], string]>([
    [
      'a 16 outside an account',
      ['01,S,R,240131,1200,1,,,2/', '02,R,S,1,240130,,,2/', '16,195,2500,Z,,,/', '98,2500,0,3/', '99,2500,1,5/'],
      'line 3: expected a 03 account identifier or the 98 group trailer, found a 16 transaction detail',
    ],
    [
      'an unknown record code',
      [...BALANCED.slice(0, 4), '17,195,2500/', ...BALANCED.slice(4)],
      'line 5: unknown record code "17": expected 01, 02, 03, 16, 88, 49, 98 or 99',
    ],
    [
      'a file that does not start with a 01',
      BALANCED.slice(1),
      'line 1: expected a 01 file header, found a 02 group header',
    ],
    [
      'a file without a 99 at the end',
      BALANCED.slice(0, -1),
      'line 11: expected a 02 group header or the 99 file trailer, found the end of the file (no 99 file trailer)',
    ],
    [
      'a 49 without a 03',
      [...BALANCED.slice(0, 6), '49,0,1/', ...BALANCED.slice(6)],
      'line 7: expected a 03 account identifier or the 98 group trailer, found a 49 account trailer',
    ],
    [
      'a 98 inside an open account',
      replace(BALANCED, '49,1250,4/', '98,1250,1,3/').slice(0, 10),
      'line 10: expected a 16 transaction detail or the 49 account trailer, found a 98 group trailer (account 222 from line 7 has no 49 yet)',
    ],
    [
      'an 88 before any record',
      ['88,HELLO/', ...BALANCED],
      'line 1: expected a 01 file header, found an 88 continuation with no record before it to continue',
    ],
    [
      'a non-numeric amount',
      replace(BALANCED, '16,475,1500,0,,CHK123,Check paid/', '16,475,15.00,0,,CHK123,Check paid/'),
      'line 5 (16 record, account 111): amount "15.00" is not an amount (expected digits with an optional sign and no decimal point)',
    ],
    [
      'a non-numeric count',
      replace(BALANCED, '49,1250,4/', '49,1250,four/'),
      'line 10 (49 account trailer, account 222): account 222 number of records "four" is not a number',
    ],
    [
      'a non-numeric type code',
      replace(BALANCED, '16,475,1500,0,,CHK123,Check paid/', '16,47A,1500,0,,CHK123,Check paid/'),
      'line 5 (16 record, account 111): type code "47A" is not a 3-digit number',
    ],
    [
      'a malformed as-of date',
      replace(BALANCED, '02,RECEIVER,BANK,1,240130,2400,USD,2/', '02,RECEIVER,BANK,1,240230,2400,USD,2/'),
      'line 2 (02 group header, group 1): as-of date "240230" is not a date (expected YYMMDD)',
    ],
    [
      'a malformed value date',
      replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', '16,195,2500,V,24-01-30,,BR1,CR1,Wire in/'),
      'line 4 (16 record, account 111): V value date "24-01-30" is not a date (expected YYMMDD)',
    ],
    [
      'an unknown funds type',
      replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', '16,195,2500,X,BR1,CR1,Wire in/'),
      'line 4 (16 record, account 111): funds type "X" is not one of 0, 1, 2, Z, S, V or D',
    ],
    [
      'a D distribution with fewer pairs than it declares',
      replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', '16,195,2500,D,5,0,2500/'),
      'line 4 (16 record, account 111): D distribution 2 of 5: days "" is not a number',
    ],
    [
      'a version other than 2',
      replace(BALANCED, '01,SENDER,RECEIVER,240131,1200,FILE1,80,,2/', '01,SENDER,RECEIVER,240131,1200,FILE1,80,,3/'),
      'line 1 (01 file header): version "3" is not supported: expected 2',
    ],
    [
      'a line without a record code after a record ended by "/"',
      [...BALANCED.slice(0, 4), 'WIRE IN, CONTINUED', ...BALANCED.slice(4)],
      'line 5: expected a record code (01, 02, 03, 16, 88, 49, 98 or 99) and a comma at the start of the line, found "WIRE IN, CONTINUED"',
    ],
    [
      'a record after the 99',
      [...BALANCED, '02,RECEIVER,BANK,1,240131,2400,USD,2/'],
      'line 13: expected nothing after the 99 file trailer, found a 02 group header',
    ],
  ])('rejects %s, saying what was expected and what was found', async (_what, lines, message) => {
    expect((await rejection(readLines(...lines))).message).toBe(message);
  });

  it('accepts a last record without "/"', async () => {
    const { entries, summary } = await readLines(...replace(BALANCED, '99,204250,1,12/', '99,204250,1,12'));
    expect(entries).toHaveLength(3);
    expect(failedChecks(summary)).toEqual([]);
  });

  it.each([
    [
      '-',
      '16,475,-150000,0,CHK1,,CHECK PAID/',
      'line 5 (16 record, account 111): amount "-150000" is signed: BAI2 detail amounts carry no sign; the type code 475 gives the direction',
    ],
    [
      '+',
      '16,475,+1500,0,,CHK123,Check paid/',
      'line 5 (16 record, account 111): amount "+1500" is signed: BAI2 detail amounts carry no sign; the type code 475 gives the direction',
    ],
  ])('rejects a 16 amount signed with "%s": the type code alone gives the direction', async (_sign, line, message) => {
    const err = await rejection(readLines(...replace(BALANCED, '16,475,1500,0,,CHK123,Check paid/', line)));
    expect(err.message).toBe(message);
    expect(err.location).toBe('line 5 (16 record, account 111)');
  });

  it('keeps signed summary amounts of a 03 and its 88s, as written, in the account total', async () => {
    const { summary } = await readLines(
      '01,S,R,240131,1200,1,,,2/',
      '02,R,S,1,240130,,,2/',
      '03,111,,010,+100000,,/',
      '88,015,-1000,,/',
      '16,475,1500,,/',
      '49,100500,4/',
      '98,100500,1,6/',
      '99,100500,1,8/',
    );
    expect(failedChecks(summary)).toEqual([]);
    expect(summary.controlTotals['account 111 control total']).toBe('100500');
  });
});

describe('readBai2 on control characters', () => {
  it.each([
    ['ESC', '\u001b', '001B'],
    ['NUL', '\u0000', '0000'],
    ['SUB', '\u001a', '001A'],
    ['VT', '\u000b', '000B'],
  ])('rejects %s in a record, naming the line and the position', async (_name, char, code) => {
    const err = await rejection(
      readLines(...replace(BALANCED, '16,195,2500,Z,BR1,CR1,Wire in/', `16,195,2500,Z,BR1,CR1,Wire${char} in/`)),
    );
    expect(err.message).toBe(
      `line 4: control character U+${code} at position 27 (BAI2 records hold printable characters only; TAB, CR and LF aside)`,
    );
  });

  it('rejects a control character on a line of its own after the 99 (a DOS end-of-file mark)', async () => {
    expect((await rejection(readLines(...BALANCED, '\u001a'))).message).toBe(
      'line 13: control character U+001A at position 1 (BAI2 records hold printable characters only; TAB, CR and LF aside)',
    );
  });

  it('accepts TAB, CR LF and lone CR line ends', async () => {
    const text = BALANCED.map((l) => l.replace('Wire in', 'Wire\tin'))
      .join('\r\n')
      .replace('49,1250,4/\r\n', '49,1250,4/\r');
    const { entries, summary } = await read(chunks(text));
    expect(entries[0]?.reference).toBe('CR1 Wire\tin');
    expect(failedChecks(summary)).toEqual([]);
  });
});
