import fs from 'node:fs';
import path from 'node:path';
import { corpusDir } from '@strongroom/testing';
import { read, rejection, type Verdict, ok, bad, rejected, balance } from './mt940-test-support';

const CORPUS = corpusDir('mt940');
const readCorpus = (file: string) => read(fs.createReadStream(path.join(CORPUS, file)) as AsyncIterable<Buffer>);

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
