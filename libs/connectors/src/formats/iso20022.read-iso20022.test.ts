import fs from 'node:fs';
import path from 'node:path';
import { corpusDir } from '@strongroom/testing';
import { readIso20022 } from './iso20022';
import { SeenKeys } from './iso20022-xml';
import { FormatError } from './types';
import { readAll } from './reader-test-support';

async function* fileBytes(file: string, chunkBytes = 4096): AsyncGenerator<Buffer> {
  yield* fs.createReadStream(file, { highWaterMark: chunkBytes });
}

async function* textBytes(text: string, chunkBytes = 1 << 16): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += chunkBytes) yield buf.subarray(i, i + chunkBytes);
}

const read = (input: AsyncIterable<Buffer>) => readAll(readIso20022, input);

/** "reconciled (n checks)", "not reconciled: <check> expected X found Y; …" or "rejected: <error>". */
async function verdict(input: AsyncIterable<Buffer>): Promise<string> {
  try {
    const { summary } = await read(input);
    const failed = summary.checks.filter((c) => !c.ok);
    if (!failed.length) return `reconciled (${summary.checks.length} checks)`;
    return `not reconciled: ${failed.map((c) => `${c.name} expected ${c.expected} found ${c.found}`).join('; ')}`;
  } catch (err) {
    if (err instanceof FormatError) return `rejected: ${err.message}`;
    throw err;
  }
}

const GENKGO_CLBD_SEK =
  'not reconciled: Stmt[1] (Id 253EURNL26VAYB8060476890) closing balance CLBD SEK expected -27.00 SEK found 27.00 EUR (OPBD 18.15 EUR + booked entries)';
const GENKGO_BTCH =
  'not reconciled: Ntfctn[1]/Ntry[1] NtryDtls[1] Btch NbOfTxs expected 2 found 3; Ntfctn[1]/Ntry[1] NtryDtls[1] Btch TtlAmt expected 6.3 found 9.5';

/**
 * Every corpus file and its verdict, from SOURCES.md and a reading of each file. "0 checks" means the
 * file declares no control total this reader can check (a warning says so).
 */
const CORPUS: Record<string, Record<string, string>> = {
  camt052: {
    '200519_camt.052_P_CH2909000000250094239_1110092686_0_2019042416072347.xml': 'reconciled (0 checks)', // OPBD + ITBD only
    'FI_camt_052_sample.xml.xml': 'reconciled (6 checks)', // two Rpt with TxsSummry
    'camt052.v1.xml': 'reconciled (0 checks)', // Btch NbOfTxs 20 without TxDtls: not itemised
    'camt052.v2.other-account.xml': 'reconciled (0 checks)',
    'camt052.v2.with-account-name.xml': 'reconciled (0 checks)',
    'camt052.v2.xml': 'reconciled (0 checks)',
    'camt052.v4.xml': 'reconciled (0 checks)',
    'camt052.v6.Amt-zero.xml': 'reconciled (0 checks)',
    'camt052.v6.xml': 'reconciled (0 checks)',
    'camt052.v8.xml': 'reconciled (0 checks)',
  },
  camt053: {
    'FI_camt_053_sample.xml.xml': 'reconciled (7 checks)',
    'camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml': 'reconciled (2 checks)', // forward-value convention + FWAV
    'camt053.v2.all-balance-types.xml':
      'not reconciled: Stmt[1] (Id CAMT0532015012200001) closing balance CLBD EUR expected 4.04 found 9.860',
    'camt053.v2.five.decimals.xml':
      'not reconciled: Stmt[1] (Id 253EURNL26VAYB8060476890) closing balance CLBD EUR expected 27.050 found 27.000',
    'camt053.v2.minimal.ultimate.xml': GENKGO_CLBD_SEK,
    'camt053.v2.minimal.xml': GENKGO_CLBD_SEK,
    'camt053.v2.multi.statement.xml': 'reconciled (2 checks)',
    'camt053.v2.with-account-name.xml': 'reconciled (0 checks)', // CLAV only
    'camt053.v2.with-party-ids.xml': GENKGO_CLBD_SEK,
    'camt053.v2.wrong.xml': 'rejected: end of document: camt.053 document has no Stmt',
    'camt053.v3.xml': GENKGO_CLBD_SEK,
    'camt053.v4.xml': GENKGO_CLBD_SEK,
    'camt053.v8.xml': GENKGO_CLBD_SEK,
    'camt53.only-Dt-with-DtTm.xml': 'reconciled (0 checks)', // OPBD without CLBD, no entries
    'statement_1.xml': 'reconciled (0 checks)', // OPAV/CLAV only
  },
  camt054: {
    '200519_camt.054-Credit_P_CH2909000000250094239_1110092691_0_2019042421291293.xml': 'reconciled (0 checks)',
    '200519_camt.054-Debit_P_CH2909000000250094239_1110092692_0_2019042401501580.xml': 'reconciled (0 checks)',
    '200519_camt.054_P_CH2909000000250094239_1111091335_0_2020061900081727.xml': 'reconciled (1 checks)',
    '200519_camt054-ESR-ASR_P_CH2909000000250094239_1110092704_0_2019042500372179.xml': 'reconciled (2 checks)',
    '200519_camt054-chdd_p_ch2909000000250094239_1110097484_0_20190520700381159.xml': 'reconciled (1 checks)',
    '200519_camt054-epo_p_ch5109000000250092291_1110097605_0_2019052003522556.xml': 'reconciled (0 checks)',
    '200519_camt054-returns_p_ch2909000000250094239_1109800798_0_2019052023472022.xml': 'reconciled (1 checks)',
    '200924_camt.054_P_CH2909000000250094239_1110092703_0_2019042423412214.xml': 'reconciled (1 checks)',
    // the TxsSummry net counts the INFO reversal (CRDT, RvslInd true) as a debit; ISO 20022 reads CRDT as a credit
    'FI_camt_054_sample.xml.xml':
      'not reconciled: Ntfctn[1] (Id BANKFILEID00001NTR00001) TxsSummry TtlNtries/TtlNetNtryAmt expected 169.95 found 369.95',
    'camt054-returns_p_ch5109000000250092291_1110097606_0_2020112500512470.xml': 'reconciled (1 checks)',
    'camt054.v2.with-account-name.xml': 'reconciled (0 checks)',
    'camt054.v2.xml': 'reconciled (0 checks)',
    'camt054.v4.xml': GENKGO_BTCH,
    'camt054.v8-with-UETR.xml': 'reconciled (0 checks)',
    'camt054.v8-with-financial-institution.xml': 'reconciled (0 checks)',
    'camt054.v8.xml': GENKGO_BTCH,
  },
  pain001: {
    'International_payment_RUB_naujas_1.xml': 'reconciled (4 checks)',
    'International_payment_USD_naujas_1.xml': 'reconciled (4 checks)',
    'gistfile1.xml': 'reconciled (2 checks)',
    'musterfile_pain.001_Nov2020.xml': 'not reconciled: GrpHdr NbOfTxs expected 7 found 8',
    'pain.001.001.03.xml': 'reconciled (3 checks)',
    'pain.001.002.03.xml': 'reconciled (3 checks)',
    'pain.001.003.03.xml': 'reconciled (3 checks)',
    'sepa_payment_naujas_1.xml': 'reconciled (4 checks)',
  },
};

const CASES = Object.entries(CORPUS).flatMap(([dir, files]) =>
  Object.entries(files).map(([file, expected]) => ({ dir, file, expected })),
);

describe('readIso20022 on the corpus', () => {
  it('has an expected verdict for every file of the camt.052, camt.053, camt.054 and pain.001 folders', () => {
    for (const [dir, files] of Object.entries(CORPUS))
      expect(fs.readdirSync(corpusDir(dir)).sort()).toEqual(Object.keys(files).sort());
  });

  it.each(CASES)('gives $dir/$file the verdict: $expected', async ({ dir, file, expected }) => {
    expect(await verdict(fileBytes(path.join(corpusDir(dir), file), 997))).toBe(expected);
  });

  it('gives the same entries and summary whether the bytes come in one piece or in 7-byte pieces', async () => {
    for (const { dir, file } of CASES.filter((c) => !c.expected.startsWith('rejected'))) {
      const whole = await read(fileBytes(path.join(corpusDir(dir), file), 1 << 20));
      const pieces = await read(fileBytes(path.join(corpusDir(dir), file), 7));
      expect(pieces).toEqual(whole);
    }
  });

  it('maps PostFinance camt.053 entries, keys a repeated AcctSvcrRef by position and accepts CLBD under the forward-value convention', async () => {
    const file = path.join(corpusDir('camt053'), 'camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml');
    const { entries, summary } = await read(fileBytes(file));
    expect(entries.map((e) => [e.txnId, e.amount, e.valueDate])).toEqual([
      ['20201124375204229003973/0758103031480900', '4.50', '2020-11-24'],
      ['20201124375204229003973/0758103031480977', '-77.70', '2020-11-24'],
      ['20201124375204229003973/07582000303F0C7U', '1500.00', '2020-11-24'],
      ['20201124375204229003973/07582000303KBMSU', '1537.00', '2020-11-25'],
      ['20201124375204229003973/07582000303KBMSU/#5', '1692.22', '2020-11-24'],
    ]);
    expect(entries[1]).toMatchObject({
      account: 'CH2909000000250094239',
      currency: 'CHF',
      bookedAt: '2020-11-24',
      location: 'Stmt[1]/Ntry[2] (line 110)',
    });
    expect(entries[1]?.filter).toBeUndefined();
    expect(entries[1]?.raw).toMatch(/^<Ntry><Amt Ccy="CHF">77\.70<\/Amt><CdtDbtInd>DBIT<\/CdtDbtInd>.*<\/Ntry>$/);
    expect(summary).toMatchObject({ format: 'camt053', version: 'camt.053.001.04', encoding: 'utf-8' });
    expect(summary.counts).toEqual({ statements: 1, entries: 5, booked: 5, notBooked: 0, transactionDetails: 5 });
    expect(summary.controlTotals).toEqual({
      'Stmt[1] opening OPBD CHF': '211993.19',
      'Stmt[1] closing CLBD CHF': '215112.21',
      'Stmt[1] forward available FWAV CHF': '216649.21',
    });
    expect(summary.checks).toEqual([
      {
        name: 'Stmt[1] (Id 20201124375204229003973) closing balance CLBD CHF',
        location: 'line 47',
        expected: '215112.21',
        found: '215112.21',
        ok: true,
      },
      {
        name: 'Stmt[1] (Id 20201124375204229003973) forward available balance FWAV CHF = CLBD + later value-dated entries',
        location: 'line 71',
        expected: '216649.21',
        found: '216649.21',
        ok: true,
      },
    ]);
    expect(summary.warnings.join('\n')).toContain(
      '1 booked entry value-dated later (net 1537.00) left out under the forward-value convention',
    );
    const again = await read(fileBytes(file, 64));
    expect(again.entries.map((e) => e.txnId)).toEqual(entries.map((e) => e.txnId));
  });

  it('marks a pending camt.052 entry NOT_BOOKED and takes the debtor of a credit as counterparty', async () => {
    const { entries, summary } = await read(fileBytes(path.join(corpusDir('camt052'), 'FI_camt_052_sample.xml.xml')));
    expect(entries.map(({ raw: _raw, ...e }) => e)).toEqual([
      {
        txnId: 'BANKFILEID00001NTR00001/#1',
        account: 'FI7433010001222090',
        counterpartyAccount: null,
        counterpartyName: 'DEBTOR NAME',
        amount: '2120.00',
        currency: 'EUR',
        bookedAt: '2009-11-02',
        valueDate: '2009-11-03',
        reference: 'INVOICE US20291092',
        location: 'Rpt[1]/Ntry[1] (line 67)',
        filter: 'NOT_BOOKED',
      },
      {
        txnId: 'BANKRPTID1972009/091029ACCTSTMTARCH08',
        account: 'FI7433010001222090',
        counterpartyAccount: null,
        counterpartyName: 'DEBTOR',
        amount: '100.00',
        currency: 'EUR',
        bookedAt: '2009-10-30T11:00:00+02:00',
        valueDate: '2009-10-30',
        reference: 'RF98123456789012',
        location: 'Rpt[2]/Ntry[1] (line 246)',
      },
    ]);
    expect(summary.counts).toEqual({ reports: 2, entries: 2, booked: 1, notBooked: 1, transactionDetails: 2 });
  });

  it('reads camt.053.001.08 (Sts/Cd) and a pain.001 with an equivalent amount, debiting the ordering account', async () => {
    const camt = await read(fileBytes(path.join(corpusDir('camt053'), 'camt053.v8.xml')));
    expect(camt.entries[0]).toMatchObject({
      txnId: '253EURNL26VAYB8060476890/AAAASESS-FP-CN_98765/01',
      amount: '8.85',
      counterpartyName: 'NAME NAME',
      counterpartyAccount: 'NL56AGDH9619008421',
      bookedAt: '2014-12-31T13:15:00+01:00',
      valueDate: '2015-01-02',
    });
    expect(camt.entries[0]?.filter).toBeUndefined();
    const pain = await read(fileBytes(path.join(corpusDir('pain001'), 'musterfile_pain.001_Nov2020.xml')));
    expect(pain.summary).toMatchObject({
      format: 'pain001',
      version: 'pain.001.001.03.ch.02',
      counts: { paymentInformations: 5, transactions: 8 },
    });
    expect(pain.entries[5]).toMatchObject({
      txnId: 'MsgId-001/PmtInfId-04/InstrId-04-01',
      account: 'CH0309000000250090342',
      counterpartyAccount: 'IT1122334455667788991122334',
      counterpartyName: 'Maria Bernasconi',
      amount: '-1',
      currency: 'CHF',
      bookedAt: '2020-07-05',
      valueDate: '2020-07-05',
      reference: 'Mitteilung',
      location: 'PmtInf[4]/CdtTrfTxInf[1] (line 242)',
    });
  });
});

// ---- synthetic documents --------------------------------------------------------------------------

interface Ntry {
  amt: string;
  ind: 'CRDT' | 'DBIT';
  sts?: string;
  valDt?: string;
  ref?: string;
  btch?: string;
  txAmts?: string[];
}

const CAMT = (n: string): string => `urn:iso:std:iso:20022:tech:xsd:camt.${n}`;

function bal(code: string, amt: string, ind = 'CRDT', date = '2024-03-01', ccy = 'EUR'): string {
  return `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="${ccy}">${amt}</Amt><CdtDbtInd>${ind}</CdtDbtInd><Dt><Dt>${date}</Dt></Dt></Bal>`;
}

function ntry(e: Ntry): string {
  const tx = (e.txAmts ?? []).map((a) => `<TxDtls><Amt Ccy="EUR">${a}</Amt></TxDtls>`).join('');
  const details = e.btch !== undefined || e.txAmts ? `<NtryDtls>${e.btch ?? ''}${tx}</NtryDtls>` : '';
  return (
    `<Ntry><Amt Ccy="EUR">${e.amt}</Amt><CdtDbtInd>${e.ind}</CdtDbtInd><Sts>${e.sts ?? 'BOOK'}</Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt>` +
    `<ValDt><Dt>${e.valDt ?? '2024-03-01'}</Dt></ValDt>${e.ref ? `<AcctSvcrRef>${e.ref}</AcctSvcrRef>` : ''}${details}</Ntry>\n`
  );
}

function camt053(body: string, ns = CAMT('053.001.02'), tag = 'Stmt', root = 'BkToCstmrStmt'): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${ns}"><${root}><GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-02T06:00:00</CreDtTm></GrpHdr>\n` +
    `<${tag}><Id>S1</Id><CreDtTm>2024-03-02T06:00:00</CreDtTm><Acct><Id><IBAN>DE02100100100006820101</IBAN></Id></Acct>\n${body}</${tag}></${root}></Document>`
  );
}

const camt054 = (body: string): string => camt053(body, CAMT('054.001.04'), 'Ntfctn', 'BkToCstmrDbtCdtNtfctn');

function pain001(grpHdr: string, pmtInf: string, txs: string[]): string {
  const tx = txs.map(
    (amt, i) =>
      `<CdtTrfTxInf><PmtId><EndToEndId>${i === 0 ? 'NOTPROVIDED' : `E2E-${i + 1}`}</EndToEndId></PmtId><Amt><InstdAmt Ccy="EUR">${amt}</InstdAmt></Amt>` +
      `<Cdtr><Nm>Creditor ${i + 1}</Nm></Cdtr><CdtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></CdtrAcct></CdtTrfTxInf>\n`,
  );
  return (
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn><GrpHdr><MsgId>MSG-9</MsgId>${grpHdr}</GrpHdr>\n` +
    `<PmtInf><PmtInfId>P-1</PmtInfId>${pmtInf}<ReqdExctnDt><Dt>2024-04-02</Dt></ReqdExctnDt><DbtrAcct><Id><IBAN>DE02100100100006820101</IBAN></Id></DbtrAcct>\n` +
    `${tx.join('')}</PmtInf></CstmrCdtTrfInitn></Document>`
  );
}

async function rejection(xml: string, chunkBytes = 5): Promise<FormatError> {
  try {
    await read(textBytes(xml, chunkBytes));
  } catch (err) {
    if (err instanceof FormatError) return err;
    throw err;
  }
  throw new Error('the document was not rejected');
}

describe('readIso20022 checks', () => {
  it('passes a balanced camt.053 statement and reports its declared balances', async () => {
    const xml = camt053(
      `${bal('OPBD', '100.00')}${bal('CLBD', '40.50')}${ntry({ amt: '10.5', ind: 'CRDT', ref: 'R1' })}${ntry({ amt: '70.00', ind: 'DBIT' })}${ntry({ amt: '999', ind: 'DBIT', sts: 'PDNG' })}`,
    );
    const { entries, summary } = await read(textBytes(xml, 13));
    expect(entries.map((e) => [e.txnId, e.amount, e.filter ?? 'loaded'])).toEqual([
      ['S1/R1', '10.5', 'loaded'],
      ['S1/#2', '-70.00', 'loaded'],
      ['S1/#3', '-999', 'NOT_BOOKED'],
    ]);
    expect(summary.checks).toEqual([
      {
        name: 'Stmt[1] (Id S1) closing balance CLBD EUR',
        location: 'line 4',
        expected: '40.50',
        found: '40.50',
        ok: true,
      },
    ]);
    expect(summary.controlTotals).toEqual({
      'Stmt[1] opening OPBD EUR': '100.00',
      'Stmt[1] closing CLBD EUR': '40.50',
    });
    expect(summary.counts).toEqual({ statements: 1, entries: 3, booked: 2, notBooked: 1, transactionDetails: 0 });
  });

  it('fails the closing balance of an unbalanced statement with the declared and the computed value', async () => {
    const { summary } = await read(
      textBytes(
        camt053(`${bal('OPBD', '100.00')}${bal('CLBD', '5.00', 'DBIT')}${ntry({ amt: '10.00', ind: 'DBIT' })}`),
      ),
    );
    expect(summary.checks).toEqual([
      {
        name: 'Stmt[1] (Id S1) closing balance CLBD EUR',
        location: 'line 4',
        expected: '-5.00',
        found: '90.00',
        ok: false,
      },
    ]);
  });

  it('accepts the forward-value convention only when the later value-dated entries explain the difference exactly', async () => {
    const body = (fwav: string): string =>
      `${bal('OPBD', '100.00')}${bal('CLBD', '110.00')}${bal('FWAV', fwav, 'CRDT', '2024-03-04')}` +
      `${ntry({ amt: '10.00', ind: 'CRDT' })}${ntry({ amt: '25.00', ind: 'CRDT', valDt: '2024-03-04' })}`;
    const ok = await read(textBytes(camt053(body('135.00'))));
    expect(ok.summary.checks.map((c) => [c.name, c.expected, c.found, c.ok])).toEqual([
      ['Stmt[1] (Id S1) closing balance CLBD EUR', '110.00', '110.00', true],
      [
        'Stmt[1] (Id S1) forward available balance FWAV EUR = CLBD + later value-dated entries',
        '135.00',
        '135.00',
        true,
      ],
    ]);
    expect(ok.summary.warnings).toEqual([
      expect.stringContaining(
        'value-dated later (net 25.00) left out under the forward-value convention, checked against FWAV',
      ),
    ]);
    const wrongFwav = await read(textBytes(camt053(body('136.00'))));
    expect(wrongFwav.summary.checks.filter((c) => !c.ok).map((c) => [c.expected, c.found])).toEqual([
      ['136.00', '135.00'],
    ]);
    const unexplained = await read(textBytes(camt053(body('135.00').replace('110.00', '111.00'))));
    expect(unexplained.summary.checks.map((c) => [c.expected, c.found, c.ok])).toEqual([['111.00', '135.00', false]]);
  });

  it('checks TxsSummry counts, sums and net against all entries', async () => {
    const summary =
      '<TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries><Sum>30.00</Sum><TtlNetNtry><Amt>10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></TtlNetNtry></TtlNtries>' +
      '<TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>5.00</Sum></TtlCdtNtries><TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>15.00</Sum></TtlDbtNtries></TxsSummry>\n';
    const { summary: s } = await read(
      textBytes(
        camt053(`${summary}${ntry({ amt: '5.00', ind: 'CRDT' })}${ntry({ amt: '15.00', ind: 'DBIT', sts: 'PDNG' })}`),
      ),
    );
    expect(s.checks.map((c) => `${c.name}: ${c.expected} / ${c.found} ${c.ok ? 'ok' : 'FAILED'}`)).toEqual([
      'Stmt[1] (Id S1) TxsSummry TtlNtries/NbOfNtries: 3 / 2 FAILED',
      'Stmt[1] (Id S1) TxsSummry TtlNtries/Sum: 30.00 / 20.00 FAILED',
      'Stmt[1] (Id S1) TxsSummry TtlNtries/TtlNetNtry/Amt: -10.00 / -10.00 ok',
      'Stmt[1] (Id S1) TxsSummry TtlCdtNtries/NbOfNtries: 1 / 1 ok',
      'Stmt[1] (Id S1) TxsSummry TtlCdtNtries/Sum: 5.00 / 5.00 ok',
      'Stmt[1] (Id S1) TxsSummry TtlDbtNtries/NbOfNtries: 1 / 1 ok',
      'Stmt[1] (Id S1) TxsSummry TtlDbtNtries/Sum: 15.00 / 15.00 ok',
    ]);
  });

  it('checks an itemised camt.054 batch against its TxDtls and only warns about a batch reported as one summary', async () => {
    const { summary } = await read(
      textBytes(
        camt054(
          ntry({
            amt: '30.00',
            ind: 'CRDT',
            btch: '<Btch><NbOfTxs>2</NbOfTxs><TtlAmt Ccy="EUR">30.00</TtlAmt></Btch>',
            txAmts: ['10.00', '20.00'],
          }) +
            ntry({
              amt: '30.00',
              ind: 'CRDT',
              btch: '<Btch><NbOfTxs>3</NbOfTxs><TtlAmt Ccy="EUR">31.00</TtlAmt></Btch>',
              txAmts: ['10.00', '20.00'],
            }) +
            ntry({ amt: '50.00', ind: 'CRDT', btch: '<Btch><NbOfTxs>7</NbOfTxs></Btch>', txAmts: ['50.00'] }),
        ),
      ),
    );
    expect(summary.checks.map((c) => `${c.name}: ${c.expected} / ${c.found} ${c.ok ? 'ok' : 'FAILED'}`)).toEqual([
      'Ntfctn[1]/Ntry[1] NtryDtls[1] Btch NbOfTxs: 2 / 2 ok',
      'Ntfctn[1]/Ntry[1] NtryDtls[1] Btch TtlAmt: 30.00 / 30.00 ok',
      'Ntfctn[1]/Ntry[2] NtryDtls[1] Btch NbOfTxs: 3 / 2 FAILED',
      'Ntfctn[1]/Ntry[2] NtryDtls[1] Btch TtlAmt: 31.00 / 30.00 FAILED',
    ]);
    expect(summary.warnings).toEqual([
      'Ntfctn[1]/Ntry[3] NtryDtls[1]: Btch NbOfTxs 7 with 1 TxDtls: the batch is not itemised; its count is not checked',
    ]);
    expect(summary.counts).toMatchObject({ notifications: 1, transactionDetails: 5 });
  });

  it('warns about a statement with no control totals and about an opening balance without a closing one', async () => {
    const none = await read(textBytes(camt053(ntry({ amt: '1.00', ind: 'CRDT' }))));
    expect(none.summary.checks).toEqual([]);
    expect(none.summary.warnings).toEqual([
      'Stmt[1] (Id S1): no control totals to check (no OPBD/CLBD pair, no TxsSummry, no itemised Btch)',
    ]);
    const half = await read(textBytes(camt053(`${bal('OPBD', '1.00')}${ntry({ amt: '1.00', ind: 'CRDT' })}`)));
    expect(half.summary.warnings[0]).toBe('Stmt[1] (Id S1): OPBD without CLBD; balance not checked');
  });

  it('checks pain.001 NbOfTxs and CtrlSum of the group header and of each PmtInf', async () => {
    const { entries, summary } = await read(
      textBytes(
        pain001('<NbOfTxs>3</NbOfTxs><CtrlSum>30.00</CtrlSum>', '<NbOfTxs>2</NbOfTxs><CtrlSum>30.5</CtrlSum>', [
          '10.00',
          '20.50',
        ]),
      ),
    );
    expect(summary.checks.map((c) => `${c.name}: ${c.expected} / ${c.found} ${c.ok ? 'ok' : 'FAILED'}`)).toEqual([
      'PmtInf[1] (PmtInfId P-1) NbOfTxs: 2 / 2 ok',
      'PmtInf[1] (PmtInfId P-1) CtrlSum: 30.5 / 30.50 ok',
      'GrpHdr NbOfTxs: 3 / 2 FAILED',
      'GrpHdr CtrlSum: 30.00 / 30.50 FAILED',
    ]);
    expect(entries.map((e) => [e.txnId, e.amount, e.bookedAt, e.reference])).toEqual([
      ['MSG-9/P-1/#1', '-10.00', '2024-04-02', null],
      ['MSG-9/P-1/E2E-2', '-20.50', '2024-04-02', 'E2E-2'],
    ]);
    expect(summary).toMatchObject({
      format: 'pain001',
      version: 'pain.001.001.09',
      counts: { paymentInformations: 1, transactions: 2 },
    });
  });

  it('decodes a windows-1252 document and warns when it claims to be UTF-8', async () => {
    const xml = (encoding: string): Buffer =>
      Buffer.from(
        pain001('<NbOfTxs>1</NbOfTxs>', '', ['1.00'])
          .replace('<Document', `<?xml version="1.0" encoding="${encoding}"?><Document`)
          .replace('Creditor 1', 'Müller'),
        'latin1',
      );
    const latin = await read(
      (async function* () {
        yield xml('ISO-8859-1');
      })(),
    );
    expect(latin.entries[0]?.counterpartyName).toBe('Müller');
    expect(latin.summary).toMatchObject({ encoding: 'windows-1252', warnings: [] });
    const mislabelled = await read(
      (async function* () {
        yield xml('UTF-8');
      })(),
    );
    expect(mislabelled.summary.warnings).toEqual([
      'the XML declares encoding UTF-8 but the bytes were read as windows-1252',
    ]);
  });

  it('rejects malformed XML with its line and column', async () => {
    const err = await rejection(camt053(`${bal('OPBD', '1.00')}<Ntry><Amt Ccy="EUR">1.00</Amt></Nty>`));
    expect(err.location).toMatch(/^line 4, column \d+$/);
    expect(err.message).toContain('malformed XML');
  });

  it('rejects a camt.053 without Stmt, an unknown namespace and an amount that is not a decimal', async () => {
    const noStmt = `<Document xmlns="${CAMT('053.001.08')}"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr></BkToCstmrStmt></Document>`;
    expect((await rejection(noStmt)).message).toBe('end of document: camt.053 document has no Stmt');
    const other = await rejection(
      '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf/></Document>',
    );
    expect(other.message).toContain('unsupported namespace "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"');
    const badAmount = await rejection(camt053(ntry({ amt: '1,000.00', ind: 'CRDT' })));
    expect(badAmount.message).toBe('Stmt[1]/Ntry[1] (line 4): Ntry/Amt "1,000.00" is not an amount');
  });

  it('reads 50,000 entries as they arrive and balances them without holding the document', async () => {
    const n = 50_000;
    let chunksRead = 0;
    let chunksWhenFirstEntry = -1;
    async function* generate(): AsyncGenerator<Buffer> {
      const [head, tail] = camt053(`${bal('OPBD', '1000.00')}${bal('CLBD', '13750.00')}@@`).split('@@') as [
        string,
        string,
      ];
      chunksRead++;
      yield Buffer.from(head);
      for (let i = 0; i < n; i += 500) {
        let block = '';
        for (let j = i; j < i + 500; j++)
          block += ntry(
            j % 2 ? { amt: '0.50', ind: 'DBIT', ref: `R${j}` } : { amt: '1.01', ind: 'CRDT', ref: `R${j}` },
          );
        chunksRead++;
        yield Buffer.from(block);
      }
      chunksRead++;
      yield Buffer.from(tail);
    }
    let count = 0;
    const gen = readIso20022(generate());
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        expect(count).toBe(n);
        expect(chunksWhenFirstEntry).toBeLessThanOrEqual(2);
        expect(r.value.counts).toMatchObject({ statements: 1, entries: n, booked: n });
        expect(r.value.checks).toEqual([
          {
            name: 'Stmt[1] (Id S1) closing balance CLBD EUR',
            location: 'line 4',
            expected: '13750.00',
            found: '13750.00',
            ok: true,
          },
        ]);
        break;
      }
      if (count++ === 0) chunksWhenFirstEntry = chunksRead;
    }
  }, 120_000);
});

describe('readIso20022 limits', () => {
  it('rejects a DOCTYPE before the parser reads it, also when it arrives split across pieces', async () => {
    const xml = camt053(ntry({ amt: '1.00', ind: 'CRDT' })).replace(
      '<Document',
      '<!DOCTYPE Document [<!ENTITY e "x">]>\n<Document',
    );
    for (const chunkBytes of [5, 1 << 16]) {
      const err = await rejection(xml, chunkBytes);
      expect([err.message, err.location]).toEqual([
        'line 2: a DOCTYPE declaration is not allowed: ISO 20022 messages have none',
        'line 2',
      ]);
    }
    const afterRoot = await rejection(`${camt053(ntry({ amt: '1.00', ind: 'CRDT' }))}<!DOCTYPE Document>`);
    expect(afterRoot.message).toContain('malformed XML: inappropriately located doctype declaration');
  });

  it('rejects a start tag with 100 attributes and accepts one with 64', async () => {
    const attributes = (n: number): string => Array.from({ length: n }, (_, i) => ` a${i}="${i}"`).join('');
    const xml = (n: number): string =>
      camt053(ntry({ amt: '1.00', ind: 'CRDT' })).replace('<Stmt>', `<Stmt${attributes(n)}>`);
    const err = await rejection(xml(100));
    expect([err.message, err.location]).toEqual(['line 3: element Stmt has 100 attributes, more than 64', 'line 3']);
    expect((await read(textBytes(xml(64)))).entries).toHaveLength(1);
  });

  it('rejects a 2 MiB text node after reading little more than 1 MiB of it', async () => {
    const [head, tail] = camt053('<Ntry><AddtlNtryInf>@@</AddtlNtryInf></Ntry>').split('@@') as [string, string];
    let piecesRead = 0;
    async function* generate(): AsyncGenerator<Buffer> {
      yield Buffer.from(head);
      for (; piecesRead < 32; piecesRead++) yield Buffer.from('x'.repeat(1 << 16)); // 32 × 64 KiB
      yield Buffer.from(tail);
    }
    const err = await read(generate()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toBe(
      'line 4: no element boundary within 1 MiB of text: a tag or text node this large is not an ISO 20022 message',
    );
    expect(piecesRead).toBeLessThanOrEqual(17);
  });

  it('streams a camt.053 of 200,000 entries with unique AcctSvcrRefs, keyed by them, with the right count and balance', async () => {
    const n = 200_000;
    async function* generate(): AsyncGenerator<Buffer> {
      const [head, tail] = camt053(`${bal('OPBD', '1000.00')}${bal('CLBD', '52000.00')}@@`).split('@@') as [
        string,
        string,
      ];
      yield Buffer.from(head);
      for (let i = 0; i < n; i += 2000) {
        let block = '';
        for (let j = i; j < i + 2000; j++) {
          const [amt, ind] = j % 2 ? ['0.50', 'DBIT'] : ['1.01', 'CRDT'];
          block += `<Ntry><Amt Ccy="EUR">${amt}</Amt><CdtDbtInd>${ind}</CdtDbtInd><Sts>BOOK</Sts><AcctSvcrRef>ACCTSVCRREF-${j}</AcctSvcrRef></Ntry>\n`;
        }
        yield Buffer.from(block);
      }
      yield Buffer.from(tail);
    }
    let count = 0;
    let plainKeys = 0;
    const gen = readIso20022(generate());
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        expect(count).toBe(n);
        expect(plainKeys).toBe(n);
        expect(r.value.counts).toEqual({ statements: 1, entries: n, booked: n, notBooked: 0, transactionDetails: 0 });
        expect(r.value.checks).toEqual([
          {
            name: 'Stmt[1] (Id S1) closing balance CLBD EUR',
            location: 'line 4',
            expected: '52000.00',
            found: '52000.00',
            ok: true,
          },
        ]);
        expect(r.value.warnings).toEqual([]);
        break;
      }
      if (r.value.txnId === `S1/ACCTSVCRREF-${count}`) plainKeys++;
      count++;
    }
  }, 120_000);
});

describe('SeenKeys', () => {
  it('finds a repeated reference, and past its cap stops remembering new ones and counts them', () => {
    const seen = new SeenKeys(2);
    expect(['A', 'B', 'A', 'C', 'C', 'B'].map((k) => seen.repeated(k))).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    expect(seen.untracked).toBe(2);
  });
});
