import { verifyChain } from '@strongroom/audit';
import { Client } from 'pg';
import { createDataSource, runMigrations, type DataSource, sqlExec } from '@strongroom/db';
import { createPanProtector } from '@strongroom/compliance';
import { createLogger, silentLogger } from '@strongroom/logging';
import { createTestDatabase, makeTempDir, writeTempFile, type TestDatabase } from '@strongroom/testing';
import {
  createRun,
  executeRun,
  getJob,
  parseJobDefinition,
  RunControl,
  saveJob,
  verifyRun,
  type JobWithDefinition,
} from '../index';
import { sinkTotals } from './run-finalizer';
import { recomputeBatchDigests } from './verify-run';

const HEADER =
  'id,account_iban,counterparty_iban,counterparty_name,amount,currency,booked_at,value_date,reference,card_number';
const ROWS = [
  't1,DE89370400440532013000,FR1420041010050500013M02606,Zoë Müller,100.50,EUR,2026-01-15T10:00:00Z,2026-01-15,inv 1,',
  't2,DE89370400440532013000,,ACME,-20,EUR,2026-01-15T11:00:00+01:00,,refund card 4111 1111 1111 1111,',
  't3,GB29NWBK60161331926819,,"Smith, J",1000,JPY,2026-01-16,,,5500000000000004',
  't4,GB29NWBK60161331926819,,X,12.345,USD,2026-01-16T00:00:00Z,,,', // AMOUNT_SCALE
  't5,GB29NWBK60161331926819,,X,10.00,XXQ,2026-01-16T00:00:00Z,,,', // INVALID_CURRENCY
  't6,GB29NWBK60161331926819,,X,10.00,USD,2026-02-30T00:00:00Z,,,', // INVALID_TIMESTAMP
  't7,,,X,10.00,USD,2026-01-16T00:00:00Z,,,', // MISSING_FIELD account
  't8,GB29NWBK60161331926819,,X,10.00,USD', // FIELD_COUNT_MISMATCH
  't1,DE89370400440532013000,,dup,1.00,EUR,2026-01-15T10:00:00Z,,,', // DUPLICATE_KEY (same run)
  't9,GB29NWBK60161331926819,,X,5.00,USD,2026-01-16T00:00:00Z,,,4111111111111112', // INVALID_PAN (not Luhn)
  't10,GB29NWBK60161331926819,,X,0.01,USD,2026-01-16T00:00:00Z,2026-01-17,,',
];

function jobYaml(name: string, file: string, extra = ''): string {
  return `name: ${name}
source:
  kind: csv
  path: ${file}
  system: core-banking
  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name,
             amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }
batching: { minSize: 2, maxSize: 4, targetCommitMs: 250 }
errors: { maxRejectRatio: 1 }
${extra}`;
}

describe('executeRun', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const dir = makeTempDir();
  const ctx = () => ({
    ds,
    logger: process.env.DEBUG_RUN ? createLogger({ service: 't', level: 'debug' }) : silentLogger(),
    pan: createPanProtector({ id: 'test', secret: Buffer.alloc(32, 1) }),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 4 });
    await ds.initialize();
    await runMigrations(ds); // nothing to do on a clone of the migrated template, and must say so
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  async function runOnce(job: JobWithDefinition) {
    const { run, existing } = await createRun(ds, job);
    if (existing) return run;
    return executeRun(ctx(), run, job, new RunControl(), () => undefined);
  }

  it('loads good rows, dead-letters each bad row with its reason, and reconciles exactly', async () => {
    const file = writeTempFile(dir, 'a.csv', [HEADER, ...ROWS].join('\r\n') + '\r\n');
    const { job } = await saveJob(ds, parseJobDefinition(jobYaml('settlements', file)));
    const run = await runOnce(await getJob(ds, job.id));
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      recordsRead: '11',
      recordsLoaded: '4',
      recordsDeadLettered: '7',
      recordsFiltered: '0',
      reconciled: true,
    });
    expect(run.batchesCommitted).toBeGreaterThanOrEqual(3);
    const dlq: { record_no: string; reason_code: string; raw_record: string }[] = await ds.query(
      'SELECT record_no, reason_code, raw_record FROM dead_letter_queue WHERE run_id = $1 ORDER BY record_no',
      [run.id],
    );
    expect(dlq.map((d) => [Number(d.record_no), d.reason_code])).toEqual([
      [4, 'AMOUNT_SCALE'],
      [5, 'INVALID_CURRENCY'],
      [6, 'INVALID_TIMESTAMP'],
      [7, 'MISSING_FIELD'],
      [8, 'FIELD_COUNT_MISMATCH'],
      [9, 'DUPLICATE_KEY'],
      [10, 'INVALID_PAN'],
    ]);
    expect(dlq[0]?.raw_record).toBe(ROWS[3]);
    const rows: Record<string, string | null>[] = await ds.query(
      `SELECT txn_id, amount::text, currency, booked_at, value_date::text, reference, counterparty_name, card_pan_masked, card_pan_token
         FROM transactions WHERE run_id = $1 ORDER BY source_record_no`,
      [run.id],
    );
    expect(rows.map((r) => [r.txn_id, r.amount, r.currency])).toEqual([
      ['t1', '100.50', 'EUR'],
      ['t2', '-20.00', 'EUR'],
      ['t3', '1000', 'JPY'],
      ['t10', '0.01', 'USD'],
    ]);
    expect(rows[0]?.counterparty_name).toBe('Zoë Müller');
    expect(rows[1]?.booked_at).toEqual(new Date('2026-01-15T10:00:00Z'));
    expect(rows[1]?.reference).toBe('refund card 411111******1111');
    expect(rows[2]?.card_pan_masked).toBe('550000******0004');
    expect(rows[2]?.card_pan_token).toMatch(/^test:/);
    expect(run.sourceTotals).toEqual({
      EUR: { count: '2', minor: '8050', amount: '80.50' },
      JPY: { count: '1', minor: '1000', amount: '1000' },
      USD: { count: '1', minor: '1', amount: '0.01' },
    });
    const [integrity] = await ds.query(
      `SELECT count(*)::int AS batches FROM transaction_integrity WHERE run_id = $1 AND scope = 'BATCH'`,
      [run.id],
    );
    expect(integrity.batches).toBe(run.batchesCommitted);
    const cps = await ds.query(
      'SELECT partition_no AS p, start_byte::int AS s, end_byte::int AS e, records_read::int AS n, byte_offset::int AS b, done FROM run_checkpoints WHERE run_id = $1',
      [run.id],
    );
    expect(cps).toEqual([{ p: 0, s: 0, e: Number(run.sourceBytes), n: 11, b: Number(run.sourceBytes), done: true }]);
  });

  it('never stores a clear card number in the sink or the dead-letter queue', async () => {
    const [hits] = await ds.query(
      `SELECT (SELECT count(*) FROM transactions t WHERE t::text ~ '4111111111111111|4111 1111 1111 1111|5500000000000004')::int +
              (SELECT count(*) FROM dead_letter_queue d WHERE d::text ~ '4111111111111111|4111 1111 1111 1111|5500000000000004')::int AS n`,
    );
    expect(hits.n).toBe(0);
  });

  it('returns the existing run when the same file is submitted to the same job again', async () => {
    const file = writeTempFile(dir, 'a.csv', [HEADER, ...ROWS].join('\r\n') + '\r\n');
    const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml('settlements', file)))).job.id);
    const again = await Promise.all(Array.from({ length: 10 }, () => createRun(ds, job)));
    expect(new Set(again.map((a) => a.run.id)).size).toBe(1);
    expect(again.every((a) => a.existing)).toBe(true);
  });

  it('filters rows already loaded by another job with the same source system instead of duplicating them', async () => {
    const file = writeTempFile(dir, 'b.csv', [HEADER, ...ROWS].join('\n'));
    const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml('settlements-copy', file)))).job.id);
    const before = await ds.query('SELECT count(*)::int AS n FROM transactions');
    const run = await runOnce(job);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      recordsRead: '11',
      recordsLoaded: '0',
      recordsFiltered: '4',
      recordsDeadLettered: '7',
    });
    expect(run.filteredByReason).toEqual({ ALREADY_LOADED: 4 });
    const [conflict] = await ds.query(
      `SELECT record_no::int AS n, reason_code FROM dead_letter_queue WHERE run_id = $1 AND record_no = 9`,
      [run.id],
    );
    expect(conflict).toEqual({ n: 9, reason_code: 'KEY_CONFLICT' });
    expect(await ds.query('SELECT count(*)::int AS n FROM transactions')).toEqual(before);
  });

  it('fails the run with REJECT_RATIO_EXCEEDED when too many records are rejected', async () => {
    const file = writeTempFile(dir, 'c.csv', [HEADER, ...ROWS.slice(3, 8), ROWS[10]?.replace('t10', 't11')].join('\n'));
    const job = await getJob(
      ds,
      (
        await saveJob(
          ds,
          parseJobDefinition(jobYaml('strict', file, '').replace('maxRejectRatio: 1', 'maxRejectRatio: 0.5')),
        )
      ).job.id,
    );
    const run = await runOnce(job);
    expect(run).toMatchObject({
      status: 'FAILED',
      errorCode: 'REJECT_RATIO_EXCEEDED',
      recordsRead: '6',
      recordsDeadLettered: '5',
    });
    expect(run.errorMessage).toContain('5 of 6 records rejected');
  });

  it('with noRetry (an inbox) gives content one run, even while that run fails: never a second attempt', async () => {
    const file = writeTempFile(dir, 'c2.csv', [HEADER, ...ROWS.slice(0, 2)].join('\n'));
    const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml('inbox-like', file)))).job.id);
    const first = await createRun(ds, job, undefined, undefined, undefined, { noRetry: true });
    // replicas asking for the same content while its run ends in failure
    const asks = Array.from({ length: 24 }, (_, i) =>
      new Promise((r) => setTimeout(r, i)).then(() =>
        createRun(ds, job, undefined, undefined, undefined, { noRetry: true }),
      ),
    );
    await new Promise((r) => setTimeout(r, 8));
    await ds.query(`UPDATE job_runs SET status = 'FAILED' WHERE id = $1`, [first.run.id]);
    const answers = await Promise.all(asks);
    expect(new Set(answers.map((a) => a.run.id))).toEqual(new Set([first.run.id]));
    expect(await ds.query('SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1', [job.job.id])).toEqual([
      { n: 1 },
    ]);
    // without noRetry (a person's run --file), the failed content gets a new attempt
    const retry = await createRun(ds, job);
    expect(retry).toMatchObject({ existing: false });
    expect(retry.run.id).not.toBe(first.run.id);
  });

  it('fails clearly when a mapped column is missing from the header', async () => {
    const file = writeTempFile(dir, 'd.csv', 'id,amount\n1,2\n');
    const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml('badheader', file)))).job.id);
    const run = await runOnce(job);
    expect(run).toMatchObject({ status: 'FAILED', errorCode: 'SOURCE_MALFORMED' });
    expect(run.errorMessage).toContain('account_iban (for account)');
  });

  it('refuses to finish a run whose file changed after submission', async () => {
    const file = writeTempFile(dir, 'e.csv', [HEADER, ROWS[0]?.replace('t1', 'e1')].join('\n'));
    const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml('changing', file)))).job.id);
    const { run } = await createRun(ds, job);
    writeTempFile(dir, 'e.csv', [HEADER, ROWS[0]?.replace('t1', 'e1').replace('100.50', '999.99')].join('\n'));
    const done = await executeRun(ctx(), run, job, new RunControl(), () => undefined);
    expect(done).toMatchObject({ status: 'FAILED', errorCode: 'SOURCE_CHANGED' });
  });

  it('sets aside only the opening line of an unterminated quote and loads the rest', async () => {
    const rows = [
      'q1,A1,,X,1.00,EUR,2026-01-15,,"never closed,',
      'q2,A1,,X,2.00,EUR,2026-01-15,,,',
      'q3,A1,,X,3.00,EUR,2026-01-15,,,',
    ];
    const file = writeTempFile(dir, 'q.csv', [HEADER, ...rows].join('\n') + '\n');
    const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml('quotes', file)))).job.id);
    const run = await runOnce(job);
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsRead: '3', recordsLoaded: '2', recordsDeadLettered: '1' });
  });

  it('publishes nothing for a failed run: its rows leave the sink and never show in transactions_published', async () => {
    const [failed] = await ds.query(`SELECT id FROM job_runs WHERE error_code = 'REJECT_RATIO_EXCEEDED'`);
    expect(await ds.query('SELECT count(*)::int AS n FROM transactions WHERE run_id = $1', [failed.id])).toEqual([
      { n: 0 },
    ]);
    const [v] = await ds.query(
      `SELECT (SELECT count(*) FROM transactions_published)::int AS published,
              (SELECT count(*) FROM transactions t JOIN job_runs r ON r.id = t.run_id WHERE r.status = 'SUCCEEDED')::int AS succeeded`,
    );
    expect(v.published).toBe(v.succeeded);
    expect(v.published).toBeGreaterThan(0);
  });

  it("finds a run's rows by the id ranges its batches recorded, also when two runs load at once and their ids interleave", async () => {
    const rows = (prefix: string) =>
      Array.from(
        { length: 120 },
        (_, i) => `${prefix}${i},DE89370400440532013000,,N,${i + 1}.25,EUR,2026-01-15T10:00:00Z,,,`,
      );
    const [a, b] = await Promise.all(
      ['ia', 'ib'].map(async (p) => {
        const file = writeTempFile(dir, `${p}.csv`, [HEADER, ...rows(`${p}-`)].join('\n') + '\n');
        const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml(`interleave-${p}`, file)))).job.id);
        return createRun(ds, job).then(({ run }) => ({ run, job }));
      }),
    );
    // each session takes the sink's ids 1,000 at a time: with 10 at a time, two runs of 120 rows cross each other's
    // blocks, and a batch's range (its first id … the session's last) holds the other run's rows
    await ds.query('ALTER TABLE transactions ALTER COLUMN id SET CACHE 10');
    const done = await Promise.all(
      [a, b].map((x) => executeRun(ctx(), x!.run, x!.job, new RunControl(), () => undefined)),
    ).finally(() => ds.query('ALTER TABLE transactions ALTER COLUMN id SET CACHE 1000'));
    expect(done.map((r) => [r.status, r.recordsLoaded])).toEqual([
      ['SUCCEEDED', '120'],
      ['SUCCEEDED', '120'],
    ]);
    const [env] = await ds.query(
      `SELECT (SELECT min(id) FROM transactions WHERE run_id = $1) < (SELECT max(id) FROM transactions WHERE run_id = $2)
          AND (SELECT min(id) FROM transactions WHERE run_id = $2) < (SELECT max(id) FROM transactions WHERE run_id = $1) AS interleaved`,
      [a!.run.id, b!.run.id],
    );
    expect(env.interleaved).toBe(true); // the two runs' ids interleave: a run's envelope holds the other's rows
    for (const { run } of [a!, b!]) {
      // every row lies in one of its batches' ranges, and the ranges find exactly the run's rows, each once
      const [outside] = await ds.query(
        `SELECT count(*)::int AS n FROM transactions t WHERE t.run_id = $1 AND NOT EXISTS (
           SELECT 1 FROM transaction_integrity i WHERE i.run_id = t.run_id AND i.scope = 'BATCH' AND t.id BETWEEN i.first_id AND i.last_id)`,
        [run.id],
      );
      expect(outside.n).toBe(0);
      const paged: string[] = [];
      for (let after = '0'; ;) {
        const page = (await ds.query(`SELECT id::text AS id, txn_id FROM strongroom_run_rows($1, $2, 7)`, [
          run.id,
          after,
        ])) as { id: string; txn_id: string }[];
        paged.push(...page.map((r) => r.txn_id));
        if (page.length < 7) break;
        after = page[page.length - 1]!.id;
      }
      const all = (await ds.query(`SELECT txn_id FROM transactions WHERE run_id = $1 ORDER BY id`, [run.id])) as {
        txn_id: string;
      }[];
      expect(paged).toEqual(all.map((r) => r.txn_id));
      expect(paged).toHaveLength(120);
      expect(await verifyRun(ds, run.id)).toMatchObject({ ok: true, rowsChecked: 120 });
      // the final totals, read by one statement or by several sessions sharing a snapshot, each given a share of
      // the run's ranges (cut inside a range, and holding the other run's rows): 1.25 + 2.25 + … + 120.25 EUR
      for (const readers of [1, 2, 3, 7])
        expect(await sinkTotals(ds, run.id, { readers, minIdsPerReader: 1 })).toEqual(
          new Map([['EUR', { count: 120n, minor: 729_000n }]]),
        );
    }
    // a row added to a run later, outside every range its batches recorded, still fails its verification
    const [added] = await ds.query(
      `INSERT INTO transactions (source_system, txn_id, account, amount, currency, booked_at, run_id, source_record_no)
       VALUES ('core-banking', 'added-later', 'a', 1, 'EUR', now(), $1, 5) RETURNING id`,
      [a!.run.id],
    );
    try {
      expect(await verifyRun(ds, a!.run.id)).toMatchObject({
        ok: false,
        message: '1 row(s) of this run belong to no committed batch',
      });
    } finally {
      await ds.query('DELETE FROM transactions WHERE id = $1', [added.id]);
    }
    // a batch that loaded rows must say where they lie (an engine of an earlier version would not)
    await expect(
      ds.query(
        `INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details)
         VALUES ($1, 999, 'BATCH', 1, '{}', repeat('c', 64), '{}')`,
        [a!.run.id],
      ),
    ).rejects.toMatchObject({ code: '23514' });
    // no index on the run: the ranges replace it
    expect(
      await ds.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'transactions' AND indexdef LIKE '%(run_id%'`),
    ).toEqual([]);
  });

  it("reads the final totals on several sessions in one snapshot (a row deleted after the first session's snapshot still counts), and on one when the pool has no second session at once", async () => {
    const file = writeTempFile(
      dir,
      'snapshot.csv',
      [HEADER, ...Array.from({ length: 90 }, (_, i) => `snap${i},ACC${i % 3},,N,${i}.10,EUR,2026-01-15,,,`)].join(
        '\n',
      ) + '\n',
    );
    const job = await getJob(ds, (await saveJob(ds, parseJobDefinition(jobYaml('snapshot', file)))).job.id);
    const run = await runOnce(job);
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '90' });
    const expected = new Map([['EUR', { count: 90n, minor: 400_500n + 900n }]]); // 0.10 + 1.10 + … + 89.10
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    const small = createDataSource({ url: db.url, poolSize: 2 });
    await small.initialize();
    try {
      // the run's last row (in the second share) goes after the first session exported its snapshot, before the
      // second imports it: the second reads the snapshot, so the row still counts
      let removed: unknown[] = [];
      const before = await sinkTotals(ds, run.id, {
        readers: 2,
        minIdsPerReader: 1,
        sessionWaitMs: 30_000, // however slow the machine is at opening a session, this case reads on two
        afterExport: async () => {
          removed = (
            await admin.query(
              `DELETE FROM transactions WHERE id = (SELECT max(id) FROM transactions WHERE run_id = $1) RETURNING amount::text`,
              [run.id],
            )
          ).rows;
        },
      });
      expect(removed).toEqual([{ amount: '89.10' }]);
      expect(before).toEqual(expected);
      // read now, the sink holds one row less
      const after = new Map([['EUR', { count: 89n, minor: 401_400n - 8_910n }]]);
      expect(await sinkTotals(ds, run.id, { readers: 2, minIdsPerReader: 1 })).toEqual(after);
      // a pool that cannot give a second session at once (the caller holds the other, as a run's batch worker does):
      // one statement reads it, rather than wait for ever
      const held = small.createQueryRunner();
      await held.connect();
      try {
        expect(await sinkTotals(small, run.id, { readers: 2, minIdsPerReader: 1, sessionWaitMs: 100 })).toEqual(after);
      } finally {
        await held.release();
      }
      // and the pool is whole again: both of its sessions can be taken
      const [a, b] = [small.createQueryRunner(), small.createQueryRunner()];
      await Promise.all([a.connect(), b.connect()]);
      await Promise.all([a.release(), b.release()]);
    } finally {
      await admin.end();
      await small.destroy();
    }
  });

  it('isolates rows the database refuses by splitting the batch, and still loads the others', async () => {
    await ds.query(`ALTER TABLE transactions ADD CONSTRAINT test_no_poison CHECK (account <> 'POISON')`);
    try {
      const rows = Array.from(
        { length: 40 },
        (_, i) => `p${i},${i % 13 === 5 ? 'POISON' : 'ACC'},,X,${i}.00,EUR,2026-01-15,,,`,
      );
      const file = writeTempFile(dir, 'p.csv', [HEADER, ...rows].join('\n'));
      const job = await getJob(
        ds,
        (
          await saveJob(
            ds,
            parseJobDefinition(jobYaml('poison', file).replace('minSize: 2, maxSize: 4', 'minSize: 40, maxSize: 40')),
          )
        ).job.id,
      );
      const run = await runOnce(job);
      expect(run).toMatchObject({
        status: 'SUCCEEDED',
        recordsRead: '40',
        recordsLoaded: '37',
        recordsDeadLettered: '3',
      });
      const dlq = await ds.query(
        `SELECT record_no::int AS n, reason_code, reason_message FROM dead_letter_queue WHERE run_id = $1 ORDER BY record_no`,
        [run.id],
      );
      expect(dlq.map((d: { n: number }) => d.n)).toEqual([6, 19, 32]);
      expect(dlq[0]).toMatchObject({
        reason_code: 'LOAD_REJECTED',
        reason_message: expect.stringContaining('test_no_poison (SQLSTATE 23514)'),
      });
    } finally {
      await ds.query('ALTER TABLE transactions DROP CONSTRAINT test_no_poison');
    }
  });

  it('caps a batch at its share of maxInFlightMB in file bytes, however many bytes a character takes', async () => {
    // 100 three-byte characters per name: a record is about 3 times longer in bytes than in characters
    const rows = Array.from(
      { length: 2000 },
      (_, i) => `b${i},DE89370400440532013000,,${'漢'.repeat(100)},1.00,EUR,2026-01-15T10:00:00Z,,,`,
    );
    const text = [HEADER, ...rows].join('\n') + '\n';
    const file = writeTempFile(dir, 'wide.csv', text);
    const cap = (1024 * 1024) / 8; // maxInFlightMB 1, two batches in flight, held about 4 times
    const job = await saveJob(
      ds,
      parseJobDefinition(
        jobYaml('bytecap', file).replace(
          'batching: { minSize: 2, maxSize: 4, targetCommitMs: 250 }',
          'batching: { minSize: 5000, maxSize: 5000, targetCommitMs: 250, maxInFlightMB: 1 }',
        ),
      ),
    );
    const run = await runOnce(await getJob(ds, job.job.id));
    expect(run.status).toBe('SUCCEEDED');
    expect(Number(run.recordsLoaded)).toBe(2000);
    // every batch holds at most the cap plus the record that crossed it
    const recordBytes = Buffer.byteLength(`${rows[0]}\n`);
    const batches = await ds.query(
      `SELECT (details->>'firstRecord')::int AS first, (details->>'lastRecord')::int AS last
         FROM transaction_integrity WHERE run_id = $1 AND scope = 'BATCH' ORDER BY batch_seq`,
      [run.id],
    );
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(text) / (cap + recordBytes)));
    for (const b of batches) expect((b.last - b.first + 1) * recordBytes).toBeLessThanOrEqual(cap + recordBytes);
  });

  it('keeps one audit chain that verifies, with one entry per committed batch', async () => {
    const exec = sqlExec(ds);
    const result = await verifyChain(exec);
    expect(result.ok).toBe(true);
    const [{ batches }] = await ds.query(`SELECT sum(batches_committed)::int AS batches FROM job_runs`);
    const [{ entries }] = await ds.query(
      `SELECT count(*)::int AS entries FROM immutable_audit_log WHERE action = 'batch:committed'`,
    );
    expect(entries).toBe(batches);
  });

  it('VerifyRun recomputes every batch digest from the sink and names the batch of an edited row', async () => {
    const [ok] = await ds.query(
      `SELECT id FROM job_runs WHERE status = 'SUCCEEDED' AND records_loaded > 3 ORDER BY created_at LIMIT 1`,
    );
    expect(await verifyRun(ds, ok.id)).toMatchObject({ ok: true, firstBadBatch: 0, rowsChecked: 4 });
    const [row] = await ds.query(
      `SELECT id, source_record_no::int AS n FROM transactions WHERE run_id = $1 ORDER BY source_record_no DESC LIMIT 1`,
      [ok.id],
    );
    const [batch] = await ds.query(
      `SELECT batch_seq FROM transaction_integrity WHERE run_id = $1 AND scope = 'BATCH' AND (details->>'firstRecord')::int <= $2 AND (details->>'lastRecord')::int >= $2`,
      [ok.id, row.n],
    );
    await ds.query(`UPDATE transactions SET amount = amount + 0.01 WHERE id = $1`, [row.id]);
    try {
      expect(await verifyRun(ds, ok.id)).toMatchObject({ ok: false, firstBadBatch: batch.batch_seq });
    } finally {
      await ds.query(`UPDATE transactions SET amount = amount - 0.01 WHERE id = $1`, [row.id]);
    }
    expect((await verifyRun(ds, ok.id)).ok).toBe(true);
  });

  it('VerifyRun fails a changed amount even when the integrity digest was rewritten to match (the audit chain keeps the original)', async () => {
    const [ok] = await ds.query(
      `SELECT id FROM job_runs WHERE status = 'SUCCEEDED' AND records_loaded > 3 ORDER BY created_at LIMIT 1`,
    );
    const [row] = await ds.query(
      `SELECT id, source_record_no::int AS n FROM transactions WHERE run_id = $1 ORDER BY source_record_no LIMIT 1`,
      [ok.id],
    );
    const before = await recomputeBatchDigests(ds, ok.id);
    await ds.query(`UPDATE transactions SET amount = amount + 1000 WHERE id = $1`, [row.id]);
    // the attacker recomputes the digests over the changed rows and writes them into the integrity rows
    const forged = (await recomputeBatchDigests(ds, ok.id)).batches.filter((b) => b.digest !== b.recorded);
    expect(forged).toHaveLength(1);
    const bad = forged[0] as { seq: number; digest: string; recorded: string };
    await ds.query(`UPDATE transaction_integrity SET digest_sha256 = $3 WHERE run_id = $1 AND batch_seq = $2`, [
      ok.id,
      bad.seq,
      bad.digest,
    ]);
    try {
      expect((await recomputeBatchDigests(ds, ok.id)).batches.every((b) => b.digest === b.recorded)).toBe(true);
      expect(await verifyRun(ds, ok.id)).toMatchObject({
        ok: false,
        firstBadBatch: bad.seq,
        message: expect.stringContaining('differs from the one in the audit chain'),
      });
    } finally {
      await ds.query(`UPDATE transactions SET amount = amount - 1000 WHERE id = $1`, [row.id]);
      await ds.query(`UPDATE transaction_integrity SET digest_sha256 = $3 WHERE run_id = $1 AND batch_seq = $2`, [
        ok.id,
        bad.seq,
        bad.recorded,
      ]);
    }
    expect(before.batches.every((b) => b.digest === b.recorded)).toBe(true);
    expect((await verifyRun(ds, ok.id)).ok).toBe(true);
  });
});
