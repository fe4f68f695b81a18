import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  createJobServiceClient,
  deadlineIn,
  RunStatus,
  type JobServiceClient,
  type Run,
  type WatchRunResponse,
} from '@strongroom/contract';
import { inspectFile } from '@strongroom/connectors';
import {
  corpusDir,
  createTestDatabase,
  makeTempDir,
  querySql,
  startEngineProcess,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const call = <Req, Res>(
  fn: (req: Req, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: Res) => void) => unknown,
  req: Req,
) =>
  new Promise<Res>((resolve, reject) =>
    fn(req, new Metadata(), { deadline: deadlineIn(30_000) }, (e, r) => (e ? reject(e) : resolve(r))),
  );

/**
 * The verdict a file must get from a real run with default job settings: LOADED; NOT_RECONCILED (a
 * control total does not match: rejected whole); REJECTED (breaks its format: rejected whole); or
 * RECORDS_REJECTED (the file reconciles, but its records fail validation one by one: each is
 * dead-lettered with its reason and the run fails on the reject ratio, publishing nothing).
 */
type Expected = 'LOADED' | 'NOT_RECONCILED' | 'REJECTED' | 'RECORDS_REJECTED';
const L: Expected = 'LOADED';
const N: Expected = 'NOT_RECONCILED';
const R: Expected = 'REJECTED';
const D: Expected = 'RECORDS_REJECTED';

/**
 * Every file of fixtures/bank-files (ach, camt052/053/054, pain001, mt940, bai2) with the verdict it must
 * get. SOURCES.md marks each file valid or invalid and notes which valid samples do not balance
 * themselves; a valid file is LOADED unless that note says so (then NOT_RECONCILED), an invalid file
 * is never LOADED. The comments say why where the verdict is not plain.
 */
const EXPECTED: Record<string, Expected> = {
  // NACHA ACH
  'ach/20110729A-invalid.ach': R,
  'ach/20110805A.ach': N, // declares 5 batches, holds 4
  'ach/20180713-IAT.ach': L,
  'ach/20180716-IAT-A17-A18.ach': L,
  'ach/FISERV-ZEROFILE-PIMRET825324_032720_110221.ach': R,
  'ach/NACHA_SAMPLE_TEL_REVERSAL.ach': R,
  'ach/adv-invalidBatchEntries.ach': R,
  'ach/adv-invalidFileControl.ach': N,
  'ach/adv-noFileControl.ach': R,
  'ach/adv.ach': L,
  'ach/arc-debit.ach': L,
  'ach/atx-read.ach': L,
  'ach/boc-debit.ach': L,
  'ach/ccd-debit.ach': L,
  'ach/cie-credit.ach': L,
  'ach/contested-return.ach': L,
  'ach/cor-example.ach': L,
  'ach/ctx-debit.ach': L,
  'ach/dishonored-return.ach': L,
  'ach/gl-debit.ach': L,
  'ach/iat-debit.ach': L,
  'ach/iat-invalidAddenda10.ach': R,
  'ach/iat-invalidBatchControl.ach': R,
  'ach/iat-invalidBatchHeader.ach': R,
  'ach/iat-invalidEntryDetail.ach': R,
  'ach/invalid-two-micro-deposits.ach': R,
  'ach/loan-credit.ach': L,
  'ach/mte-read.ach': L,
  'ach/nonascii-utf8.ach': N, // edge: its file control counts 1 entry of 13
  'ach/nonascii.ach': N, // the same in windows-1252
  'ach/pop-debit.ach': L,
  'ach/pos-debit.ach': L,
  'ach/pos-invalidEntryDetail.ach': R,
  'ach/pos-invalidReturnFile.ach': R,
  'ach/ppd-debit-fixedLength.ach': L,
  'ach/ppd-debit-fixedLengthInvalid.ach': R,
  'ach/ppd-debit-invalid-entryDetail-checkDigit.ach': R,
  'ach/ppd-debit.ach': L,
  'ach/ppd-mixedDebitCredit-invalid.ach': R,
  'ach/ppd-mixedDebitCredit.ach': L,
  'ach/return-PPD-custom-reason-code.ach': R, // edge-valid only with custom return codes: loads with source.customReturnCodes (tested below)
  'ach/return-WEB.ach': L,
  'ach/return-no-batch-controls.ach': R,
  'ach/return-no-file-header-control.ach': R,
  'ach/shr-credit.ach': N,
  'ach/shr-debit.ach': L,
  'ach/tel-debit.ach': L,
  'ach/trx-debit.ach': L,
  'ach/two-micro-deposits.ach': L,
  'ach/web-credit.ach': L,
  'ach/web-debit.ach': L,
  'ach/web-invalidNOCFile.ach': R,
  'ach/xck-debit.ach': L,
  // ISO 20022 camt.052 (intraday; no balance pairs, so only TxsSummry and batch counts are checked where present)
  'camt052/200519_camt.052_P_CH2909000000250094239_1110092686_0_2019042416072347.xml': L,
  'camt052/FI_camt_052_sample.xml.xml': L, // its PDNG entry is filtered NOT_BOOKED
  'camt052/camt052.v1.xml': L,
  'camt052/camt052.v2.other-account.xml': L,
  'camt052/camt052.v2.with-account-name.xml': L,
  'camt052/camt052.v2.xml': L,
  'camt052/camt052.v4.xml': L,
  'camt052/camt052.v6.Amt-zero.xml': L,
  'camt052/camt052.v6.xml': L,
  'camt052/camt052.v8.xml': L,
  // camt.053: opening + booked entries = closing per statement and currency
  'camt053/FI_camt_053_sample.xml.xml': L,
  'camt053/camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml': L, // balances under the forward-value convention (FWAV), see SOURCES.md
  'camt053/camt053.v2.all-balance-types.xml': N, // genkgo stubs: SOURCES.md notes they do not balance
  'camt053/camt053.v2.five.decimals.xml': N,
  'camt053/camt053.v2.minimal.ultimate.xml': N,
  'camt053/camt053.v2.minimal.xml': N,
  'camt053/camt053.v2.multi.statement.xml': L,
  'camt053/camt053.v2.with-account-name.xml': L,
  'camt053/camt053.v2.with-party-ids.xml': N,
  'camt053/camt053.v2.wrong.xml': R, // no Stmt
  'camt053/camt053.v3.xml': N,
  'camt053/camt053.v4.xml': N,
  'camt053/camt053.v8.xml': N,
  'camt053/camt53.only-Dt-with-DtTm.xml': L, // no entries, no closing balance: nothing to load
  'camt053/statement_1.xml': L,
  // camt.054: TxsSummry and batch (Btch NbOfTxs/TtlAmt) against the transaction details
  'camt054/200519_camt.054-Credit_P_CH2909000000250094239_1110092691_0_2019042421291293.xml': L,
  'camt054/200519_camt.054-Debit_P_CH2909000000250094239_1110092692_0_2019042401501580.xml': L,
  'camt054/200519_camt.054_P_CH2909000000250094239_1111091335_0_2020061900081727.xml': L,
  'camt054/200519_camt054-ESR-ASR_P_CH2909000000250094239_1110092704_0_2019042500372179.xml': L,
  'camt054/200519_camt054-chdd_p_ch2909000000250094239_1110097484_0_20190520700381159.xml': L,
  'camt054/200519_camt054-epo_p_ch5109000000250092291_1110097605_0_2019052003522556.xml': L,
  'camt054/200519_camt054-returns_p_ch2909000000250094239_1109800798_0_2019052023472022.xml': L,
  'camt054/200924_camt.054_P_CH2909000000250094239_1110092703_0_2019042423412214.xml': L,
  'camt054/FI_camt_054_sample.xml.xml': N, // its TxsSummry net counts a CRDT reversal as a debit; ISO 20022 signs by CdtDbtInd
  'camt054/camt054-returns_p_ch5109000000250092291_1110097606_0_2020112500512470.xml': L,
  'camt054/camt054.v2.with-account-name.xml': L,
  'camt054/camt054.v2.xml': L,
  'camt054/camt054.v4.xml': N, // batch declares 2 transactions, holds 3
  'camt054/camt054.v8-with-UETR.xml': L,
  'camt054/camt054.v8-with-financial-institution.xml': L,
  'camt054/camt054.v8.xml': N,
  // pain.001: NbOfTxs and CtrlSum, group and payment information
  'pain001/International_payment_RUB_naujas_1.xml': L,
  'pain001/International_payment_USD_naujas_1.xml': L,
  'pain001/gistfile1.xml': L,
  'pain001/musterfile_pain.001_Nov2020.xml': N, // declares 7 transactions, holds 8 (SOURCES.md)
  'pain001/pain.001.001.03.xml': L,
  'pain001/pain.001.002.03.xml': L,
  'pain001/pain.001.003.03.xml': L,
  'pain001/sepa_payment_naujas_1.xml': L,
  // SWIFT MT940/MT942: opening + statement lines = closing; MT942 :90D:/:90C:
  'mt940/ASNB/mt940.txt': L,
  'mt940/ASNB/mt940_with_spaces_for_entry_date.txt': L,
  'mt940/betterplace/missing_crlf_at_end.sta': R,
  'mt940/betterplace/sepa_mt9401.sta': L,
  'mt940/betterplace/sepa_snippet.sta': N, // valid, but its second statement does not balance (SOURCES.md)
  'mt940/betterplace/sepa_snippet_broken.sta': R,
  'mt940/betterplace/with_binary_character.sta': L, // edge-invalid in SOURCES.md, but its bytes are valid UTF-8 letters, not a control character
  'mt940/citi/mt940.txt': L,
  'mt940/cmxl/mt940.sta': D, // balances, but 11 entries are in DEM, withdrawn from ISO 4217 in 2002: dead-lettered INVALID_CURRENCY
  'mt940/jejik/abnamro.sta': N,
  'mt940/jejik/generic.sta': L,
  'mt940/jejik/ing.sta': N,
  'mt940/jejik/knab.sta': R, // an amount without its decimal comma
  'mt940/jejik/postfinance.sta': N,
  'mt940/jejik/rabobank-iban.sta': L,
  'mt940/jejik/rabobank.sta': N,
  'mt940/jejik/sns.sta': L,
  'mt940/jejik/triodos.sta': N,
  'mt940/mBank/mt940.sta': L,
  'mt940/mBank/mt942.sta': L,
  'mt940/mBank/with_newline_in_tnr.sta': N,
  'mt940/sberbank/171011_01234945.sta': L,
  'mt940/self-provided/details_60-63.sta': N,
  'mt940/self-provided/empty_non_swift.sta': R,
  'mt940/self-provided/february_30.sta': D, // balances, but its one entry is value-dated 30 February: dead-lettered INVALID_DATE
  'mt940/self-provided/gv_codes.sta': R, // no closing balance (a mandatory field)
  'mt940/self-provided/invalid_statement.sta': R,
  'mt940/self-provided/malformed_details.sta': N,
  'mt940/self-provided/multiline.sta': R, // a :61: after the statement's end
  'mt940/self-provided/overly_long_details.sta': N,
  'mt940/self-provided/raiffeisen-cmi.sta': N,
  'mt940/self-provided/raphaelm.sta': R, // closing balances without a currency code
  // BAI2: account (49), group (98) and file (99) control totals, record and account counts
  'bai2/account_trailer_amount_blank_example.bai2': L, // no transaction details: nothing to load
  'bai2/example.bai2': L,
  'bai2/example2.bai2': L,
  'bai2/nwb_example.bai2': L,
  'bai2/sample-parseError.txt': R,
  'bai2/sample1.txt': L,
  'bai2/sample2.txt': L,
  'bai2/sample3.txt': L, // reconciles once its wrapped 16 text (line 19) is read as text, not as a record
  'bai2/sample4-continuations-newline-delimited.txt': N, // wrong account totals and record counts (SOURCES.md)
  'bai2/sample5-issue113.txt': N,
  'bai2/svb_us_example.bai2': L,
};

const FORMAT_OF_DIR: Record<string, string> = {
  ach: 'ach',
  camt052: 'camt052',
  camt053: 'camt053',
  camt054: 'camt054',
  pain001: 'pain001',
  mt940: 'mt940',
  bai2: 'bai2',
};
const walk = (d: string): string[] =>
  fs
    .readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));

describe('bank-format conformance over the shared corpus (real engine, real PostgreSQL)', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let client: JobServiceClient;
  const home = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: home, ENGINE_MAX_CONCURRENT_RUNS: '4' },
    });
    client = createJobServiceClient({ address: engine.address, token: engine.token });
  });
  afterAll(async () => {
    client?.close();
    expect(await engine?.stop()).toBe(0);
    await db?.drop();
  });

  async function runFile(file: string, format: string, extra = ''): Promise<Run> {
    const rel = path.relative(path.dirname(corpusDir('ach')), file);
    const name = `c-${createHash('sha256').update(`${rel}|${format}|${extra}`).digest('hex').slice(0, 10)}-${rel
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .slice(0, 80)}`;
    const definition = `name: ${name}\nsource:\n  kind: ${format}\n  path: ${JSON.stringify(file)}\n${extra}`;
    const created = await call(client.createJob.bind(client), { definition, baseDir: '' });
    const started = await call(client.runJob.bind(client), { jobId: created.job?.id ?? '', file: '' });
    const updates: Run[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.watchRun({ runId: started.run?.id ?? '' }, { deadline: deadlineIn(60_000) });
      stream.on('data', (m: WatchRunResponse) => m.run && updates.push(m.run));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    return updates[updates.length - 1] as Run;
  }

  it('loads every valid file, rejects every invalid or unbalanced one whole with a precise reason, and never leaves a partial load', async () => {
    const root = path.dirname(corpusDir('ach'));
    const files = Object.keys(FORMAT_OF_DIR).flatMap((d) => walk(path.join(root, d)).sort());
    const rows: string[][] = [];
    const mismatches: string[] = [];
    const queue = [...files];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const rel = path.relative(root, f);
        const run = await runFile(f, FORMAT_OF_DIR[rel.split('/')[0] as string] as string);
        const [{ n }] = await querySql<{ n: string }>(
          db.url,
          'SELECT count(*)::text AS n FROM transactions WHERE run_id = $1',
          [run.id],
        );
        const verdict: Expected | 'OTHER' =
          run.status === RunStatus.RUN_STATUS_SUCCEEDED
            ? 'LOADED'
            : ((
                {
                  SOURCE_NOT_RECONCILED: 'NOT_RECONCILED',
                  SOURCE_MALFORMED: 'REJECTED',
                  REJECT_RATIO_EXCEEDED: 'RECORDS_REJECTED',
                } as const
              )[run.errorCode] ?? 'OTHER');
        const detail =
          verdict === 'LOADED'
            ? `read ${run.read}, loaded ${run.loaded}, dead-lettered ${run.deadLettered}, filtered ${run.filtered}`
            : `${run.errorCode}: ${run.errorMessage.replace(f, '<file>')}`;
        rows.push([rel, verdict, detail]);
        if (verdict !== EXPECTED[rel])
          mismatches.push(`${rel}: expected ${EXPECTED[rel] ?? '(no expectation)'}, got ${verdict} (${detail})`);
        if (verdict === 'LOADED') {
          // conservation, and the file's own count of entries is what the run read
          expect({
            rel,
            conserved: run.read === run.loaded + run.deadLettered + run.filtered,
            sink: Number(n),
          }).toEqual({ rel, conserved: true, sink: run.loaded });
          expect({ rel, read: run.read }).toEqual({ rel, read: (await inspectFile(f)).entries.read });
        } else {
          expect({ rel, status: run.status, rowsLeft: n }).toEqual({
            rel,
            status: RunStatus.RUN_STATUS_FAILED,
            rowsLeft: '0',
          }); // nothing published, nothing left behind
          expect(run.errorMessage.length).toBeGreaterThan(20);
          if (verdict === 'RECORDS_REJECTED')
            expect({
              rel,
              conserved: run.read === run.loaded + run.deadLettered + run.filtered,
              dead: run.deadLettered > 0,
            }).toEqual({ rel, conserved: true, dead: true });
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    rows.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
    const width = Math.max(...rows.map((r) => (r[0] as string).length));
    process.stdout.write(
      `\nbank-format conformance: ${rows.length} corpus files\n${rows.map((r) => `${(r[0] as string).padEnd(width)}  ${(r[1] as string).padEnd(14)}  ${(r[2] as string).slice(0, 220)}`).join('\n')}\n`,
    );
    expect(mismatches).toEqual([]);
    expect(rows.length).toBe(Object.keys(EXPECTED).length);
  }, 600_000);

  it('loads the processor-specific return reason code sample when the job accepts custom return codes', async () => {
    const run = await runFile(
      path.join(corpusDir('ach'), 'return-PPD-custom-reason-code.ach'),
      'ach',
      '  customReturnCodes: true\n',
    );
    expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 1, loaded: 1 });
  }, 60_000);

  it('a file that is read as another format than the job declares is rejected, not half-read', async () => {
    const run = await runFile(path.join(corpusDir('camt054'), 'camt054.v2.xml'), 'camt053');
    expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_FAILED, errorCode: 'SOURCE_MALFORMED', loaded: 0 });
    expect(run.errorMessage).toContain('the file is camt054, not camt053');
  }, 60_000);
});
