import fs from 'node:fs';
import path from 'node:path';
import { corpusDir } from '@strongroom/testing';
import { fileBytes, read, verdict } from './iso20022-test-support';

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
