import { readIso20022 } from './iso20022';
import { textBytes, read, CAMT, bal, ntry, camt053, camt054, pain001, rejection } from './iso20022-test-support';

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

  it('locates an error in a document on one line by element path and column, not by "line 2"', async () => {
    // as many banks send it: the declaration, then the whole message on one line
    const oneLine = (body: string) => camt053(body).replace(/>\n</g, '><').replace('?><Document', '?>\n<Document');
    const badBal = oneLine(`${bal('OPBD', '100.00')}${bal('CLBD', 'abc')}${ntry({ amt: '30.00', ind: 'CRDT' })}`);
    const col = badBal.split('\n')[1]?.indexOf('<Bal><Tp><CdOrPrtry><Cd>CLBD') ?? -1;
    expect((await rejection(badBal)).message).toBe(
      `/Document/BkToCstmrStmt/Stmt[1]/Bal[2] (line 2, column ${col + 1}): Bal CLBD Amt "abc" is not an amount`,
    );
    const third = oneLine(
      `${bal('OPBD', '100.00')}${bal('CLBD', '130.00')}${ntry({ amt: '10.00', ind: 'CRDT' })}${ntry({ amt: '10.00', ind: 'CRDT' })}${ntry({ amt: '1O.00', ind: 'CRDT' })}`,
    );
    expect((await rejection(third)).message).toMatch(
      /^\/Document\/BkToCstmrStmt\/Stmt\[1\]\/Ntry\[3\] \(line 2, column \d{3,}\): Ntry\/Amt "1O\.00" is not an amount$/,
    );
  });

  it('rejects malformed XML with its line and column', async () => {
    const err = await rejection(camt053(`${bal('OPBD', '1.00')}<Ntry><Amt Ccy="EUR">1.00</Amt></Nty>`));
    expect(err.location).toMatch(/^\/Document\/BkToCstmrStmt\/Stmt\[1\]\/Ntry\[1\] \(line 4, column \d+\)$/);
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
    expect(badAmount.message).toBe(
      '/Document/BkToCstmrStmt/Stmt[1]/Ntry[1] (line 4, column 1): Ntry/Amt "1,000.00" is not an amount',
    );
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
