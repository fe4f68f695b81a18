import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import {
  createDeadLetterServiceClient,
  createIngestServiceClient,
  createJobServiceClient,
  type IngestRequest,
  type IngestResponse,
  type ReplayDeadLettersRequest,
  type ReplayDeadLettersResponse,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { createRandom, generateTransactionsCsv, type GeneratedFile } from '@strongroom/datagen';
import {
  createTestDatabase,
  IngestStream,
  makeTempDir,
  startEngineProcess,
  exited,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';
import { sqlExec } from '@strongroom/db';

/**
 * Exactly-once under SIGKILL: the engine is killed (kill -9) at seeded random moments and at every
 * named crash point; after each restart it resumes the run from its last committed batch. At the end
 * every record is loaded or dead-lettered exactly once and the per-currency sums equal the source's.
 */
const JOB = (name: string, csv: string, batching: string) => `name: ${name}
source:
  kind: csv
  path: ${csv}
  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name,
             amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }
batching: ${batching}
errors: { maxRejectRatio: 0.05 }
`;

describe('exactly-once restart (real engine processes, SIGKILL)', () => {
  let db: TestDatabase;
  let pg: Client;
  const dir = makeTempDir();
  const engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  // one engine at a time, as these cases mean: an engine left running by an earlier case is a replica that
  // would share (and could take over) the next case's run, and a crash point might then never be reached
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });
  afterAll(async () => {
    await pg.end();
    await db.drop();
  });

  async function start(env: Record<string, string> = {}): Promise<{ engine: EngineProcess; client: JobServiceClient }> {
    const engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home`, ...env } });
    engines.push(engine);
    return { engine, client: createJobServiceClient({ address: engine.address, token: engine.token }) };
  }

  async function kill(e: { engine: EngineProcess; client: JobServiceClient }): Promise<void> {
    e.client.close();
    e.engine.child.kill('SIGKILL');
    await exited(e.engine);
  }

  async function submit(client: JobServiceClient, name: string, csv: string, batching: string): Promise<string> {
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, {
      definition: JOB(name, csv, batching),
      baseDir: '',
    });
    const run = await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, {
      jobId: job.job?.id ?? '',
      file: '',
    });
    return run.run?.id as string;
  }

  async function waitSucceeded(client: JobServiceClient, runId: string, timeoutMs = 120_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { run } = await unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId });
      if (
        run &&
        [RunStatus.RUN_STATUS_SUCCEEDED, RunStatus.RUN_STATUS_FAILED, RunStatus.RUN_STATUS_CANCELLED].includes(
          run.status,
        )
      ) {
        expect(run.errorMessage).toBe('');
        expect(run.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
        return run;
      }
      if (Date.now() > until) throw new Error(`run ${runId} did not finish: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Returns once the run has committed more than `after` batches (it is then surely in the middle). */
  async function committedOnce(runId: string, after = 0) {
    for (;;) {
      const [{ batches, status }] = (
        await pg.query('SELECT batches_committed AS batches, status FROM job_runs WHERE id = $1', [runId])
      ).rows as { batches: number; status: string }[];
      if (batches > after) return;
      if (status !== 'RUNNING' && status !== 'PENDING') throw new Error(`the run is ${status} before a kill`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The invariants, checked in the database itself. */
  async function verify(runId: string, gen: GeneratedFile) {
    const q = async (sql: string) => (await pg.query(sql, [runId])).rows;
    const [run] = await q(
      'SELECT records_read::int AS read, records_loaded::int AS loaded, records_dead_lettered::int AS dead, records_filtered::int AS filtered, attempts FROM job_runs WHERE id = $1',
    );
    expect(run.read).toBe(gen.rows);
    expect(run.loaded + run.dead).toBe(gen.rows);
    expect(run.filtered).toBe(0);
    expect(run.dead).toBe(gen.bad);
    const [sink] = await q(
      'SELECT count(*)::int AS n, count(DISTINCT (source_system, txn_id))::int AS keys FROM transactions WHERE run_id = $1',
    );
    expect(sink).toEqual({ n: run.loaded, keys: run.loaded });
    const [dlq] = await q(
      'SELECT count(*)::int AS n, count(DISTINCT record_no)::int AS distinct_records FROM dead_letter_queue WHERE run_id = $1',
    );
    expect(dlq).toEqual({ n: gen.bad, distinct_records: gen.bad });
    const sums = await q(
      `SELECT currency, count(*)::text AS count, (sum(amount) * power(10, CASE currency WHEN 'JPY' THEN 0 WHEN 'KWD' THEN 3 ELSE 2 END))::bigint::text AS minor FROM transactions WHERE run_id = $1 GROUP BY currency ORDER BY currency`,
    );
    expect(Object.fromEntries(sums.map((s) => [s.currency, { count: s.count, minor: s.minor }]))).toEqual(
      gen.goodTotals,
    );
    const [published] = await q('SELECT count(*)::int AS n FROM transactions_published WHERE run_id = $1');
    expect(published.n).toBe(run.loaded);
    const [audit] = await q(
      `SELECT count(*)::int AS n FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1::text`,
    );
    const [{ batches }] = await q('SELECT batches_committed AS batches FROM job_runs WHERE id = $1');
    expect(audit.n).toBe(batches);
    expect((await verifyChain(sqlExec(pg))).ok).toBe(true);
    return run;
  }

  it('completes a 100k-record run killed at 5 seeded random moments, exactly once', async () => {
    const csv = `${dir}/random-kills.csv`;
    const gen = await generateTransactionsCsv(csv, { rows: 100_000, seed: 42, idPrefix: 'RK' });
    const rnd = createRandom(20261128);
    let e = await start();
    const runId = await submit(e.client, 'random-kills', csv, '{ minSize: 2000, maxSize: 8000, targetCommitMs: 150 }');
    // the first kill once a batch has committed (the run is then surely in the middle: a fast machine could finish
    // 100,000 records before a fixed delay), the others at random moments after
    await committedOnce(runId);
    // each later kill once the restarted engine has committed a batch of its own, then at a random moment: every
    // kill lands in the middle of the run (fixed delays after a restart found the run ended on a fast machine)
    const readAtKill: number[] = [];
    let batchesAtKill = 0;
    for (let i = 0; i < 5; i++) {
      if (i > 0) {
        await committedOnce(runId, batchesAtKill);
        await new Promise((r) => setTimeout(r, rnd.int(0, 200)));
      }
      // frozen first, so that what the database says is where the kill lands
      e.engine.child.kill('SIGSTOP');
      const [at] = (
        await pg.query(
          'SELECT status, records_read::int AS read, batches_committed AS batches FROM job_runs WHERE id = $1',
          [runId],
        )
      ).rows as { status: string; read: number; batches: number }[];
      await kill(e);
      expect(at?.status).toBe('RUNNING');
      readAtKill.push(at?.read ?? 0);
      batchesAtKill = at?.batches ?? 0;
      e = await start();
    }
    await waitSucceeded(e.client, runId);
    const run = await verify(runId, gen);
    // five kills in the middle of the run, each after more had been read, and each resumed
    expect(readAtKill.every((n) => n < gen.rows)).toBe(true);
    expect(readAtKill).toEqual([...readAtKill].sort((a, b) => a - b));
    expect(run.attempts).toBeGreaterThanOrEqual(2); // it really was interrupted and resumed
    e.client.close();
  }, 240_000);

  for (const point of ['batch:mid-copy', 'batch:before-commit', 'batch:after-commit', 'dlq:mid-write']) {
    it(`resumes exactly once after a kill at ${point}`, async () => {
      const csv = `${dir}/${point.replace(':', '-')}.csv`;
      const gen = await generateTransactionsCsv(csv, {
        rows: 12_000,
        seed: point.length,
        idPrefix: point
          .replace(/[^a-z]/g, '')
          .slice(0, 6)
          .toUpperCase(),
      });
      const crashing = await start({ STRONGROOM_TEST_CRASH_AT: `${point}@3` });
      const runId = await submit(crashing.client, point.replace(':', '-'), csv, '{ minSize: 1000, maxSize: 1000 }');
      await exited(crashing.engine); // it kills itself at the point
      crashing.client.close();
      expect(crashing.engine.output()).toContain(`crash point ${point} reached`);
      const e = await start();
      await waitSucceeded(e.client, runId);
      await verify(runId, gen);
      e.client.close();
    }, 120_000);
  }

  it('drains on SIGTERM (exit 0, run stays RUNNING at a committed batch) and finishes after restart', async () => {
    const csv = `${dir}/drain.csv`;
    const gen = await generateTransactionsCsv(csv, { rows: 60_000, seed: 7, idPrefix: 'DR' });
    const first = await start();
    const runId = await submit(first.client, 'drain', csv, '{ minSize: 2000, maxSize: 2000 }');
    // stopped once its first batch has committed, not after a fixed delay a fast machine could finish the run in
    await committedOnce(runId);
    first.client.close();
    expect(await first.engine.stop()).toBe(0);
    const [mid] = (await pg.query('SELECT status, records_read::int AS read FROM job_runs WHERE id = $1', [runId]))
      .rows;
    expect(mid.status).toBe('RUNNING');
    expect(mid.read % 2000).toBe(0); // stopped on a batch boundary
    expect(mid.read).toBeLessThan(60_000); // in the middle
    const second = await start();
    await waitSucceeded(second.client, runId);
    await verify(runId, gen);
    second.client.close();
  }, 120_000);

  it('replays dead letters exactly once after a kill in the middle of a replay', async () => {
    const [run] = (await pg.query(`SELECT id FROM job_runs WHERE status = 'SUCCEEDED' ORDER BY created_at LIMIT 1`))
      .rows;
    const { rows: pending } = await pg.query(
      `SELECT id::text AS id FROM dead_letter_queue WHERE run_id = $1 AND status = 'PENDING' AND reason_code = 'MISSING_FIELD'`,
      [run.id],
    );
    expect(pending.length).toBeGreaterThan(0);
    const { rows: before } = await pg.query('SELECT records_loaded::int AS loaded FROM job_runs WHERE id = $1', [
      run.id,
    ]);
    const crashing = await start({ STRONGROOM_TEST_CRASH_AT: 'replay:mid@1' });
    const dlq = createDeadLetterServiceClient({ address: crashing.engine.address, token: crashing.engine.token });
    // a record with a missing account is replayed with one (the engine dies mid-replay: nothing may stick)
    const { rows: raws } = await pg.query(
      `SELECT id::text AS id, raw_record FROM dead_letter_queue WHERE id = ANY($1::bigint[])`,
      [pending.map((p) => p.id)],
    );
    const corrections = raws.map((r) => ({
      id: r.id,
      rawRecord: r.raw_record.replace(/^([^,]*),,/, '$1,DE89370400440532013000,'),
    }));
    await expect(
      unaryCall<ReplayDeadLettersRequest, ReplayDeadLettersResponse>(dlq, dlq.replayDeadLetters, {
        ids: pending.map((p) => p.id),
        runId: '',
        corrections,
        reason: '',
      }),
    ).rejects.toBeDefined();
    dlq.close();
    crashing.client.close();
    await exited(crashing.engine);
    expect(
      (
        await pg.query(
          `SELECT count(*)::int AS n FROM dead_letter_queue WHERE id = ANY($1::bigint[]) AND status = 'PENDING'`,
          [pending.map((p) => p.id)],
        )
      ).rows[0].n,
    ).toBe(pending.length);
    const e = await start();
    const dlq2 = createDeadLetterServiceClient({ address: e.engine.address, token: e.engine.token });
    const res = await unaryCall<ReplayDeadLettersRequest, ReplayDeadLettersResponse>(dlq2, dlq2.replayDeadLetters, {
      ids: pending.map((p) => p.id),
      runId: '',
      corrections,
      reason: '',
    });
    const again = await unaryCall<ReplayDeadLettersRequest, ReplayDeadLettersResponse>(dlq2, dlq2.replayDeadLetters, {
      ids: pending.map((p) => p.id),
      runId: '',
      corrections,
      reason: '',
    });
    dlq2.close();
    e.client.close();
    expect(res.loaded + res.stillFailing).toBe(pending.length);
    expect(res.loaded).toBeGreaterThan(0);
    expect(again.loaded).toBe(0);
    const { rows: after } = await pg.query('SELECT records_loaded::int AS loaded FROM job_runs WHERE id = $1', [
      run.id,
    ]);
    expect(after[0].loaded).toBe(before[0].loaded + res.loaded);
  }, 120_000);

  it('answers a re-sent ingest batch from its stored result after a kill between commit and ack', async () => {
    const crashing = await start({ STRONGROOM_TEST_CRASH_AT: 'ingest:after-commit@2' });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(crashing.client, crashing.client.createJob, {
      definition: 'name: crash-stream\nsource: { kind: grpc }\n',
      baseDir: '',
    });
    const rec = (n: number) => ({
      txnId: `K-${n}`,
      account: 'A',
      counterpartyAccount: '',
      counterpartyName: '',
      amount: `${n}.00`,
      currency: 'EUR',
      bookedAt: '2026-11-01',
      valueDate: '',
      reference: '',
      cardPan: '',
    });
    const talk = (address: string) => {
      const c = createIngestServiceClient({ address, token: testToken() });
      const call = c.ingest();
      const answers: IngestResponse[] = [];
      const waiters: ((v: IngestResponse | Error) => void)[] = [];
      call.on('data', (r: IngestResponse) =>
        waiters.length ? (waiters.shift() as (v: IngestResponse) => void)(r) : answers.push(r),
      );
      call.on('error', (e: Error) => waiters.splice(0).forEach((w) => w(e)));
      const ask = async (m: IngestRequest) => {
        call.write(m);
        const r = answers.shift() ?? (await new Promise<IngestResponse | Error>((res) => waiters.push(res)));
        if (r instanceof Error) throw r;
        return r;
      };
      return { ask, close: () => (call.end(), c.close()) };
    };
    const a = talk(crashing.engine.address);
    await a.ask({ open: { jobId: job.job?.id as string, streamId: 's1' } });
    await a.ask({ batch: { idempotencyKey: 'k1', records: [rec(1), rec(2)] } });
    await expect(a.ask({ batch: { idempotencyKey: 'k2', records: [rec(3), rec(4)] } })).rejects.toBeDefined(); // committed, then the engine died
    a.close();
    crashing.client.close();
    const e = await start();
    const b = talk(e.engine.address);
    await b.ask({ open: { jobId: job.job?.id as string, streamId: 's1' } });
    expect((await b.ask({ batch: { idempotencyKey: 'k2', records: [rec(3), rec(4)] } })).ack).toMatchObject({
      duplicate: true,
      accepted: 2,
      loaded: 4,
    });
    const done = await b.ask({ complete: {} });
    b.close();
    e.client.close();
    expect(done.completed?.run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 4, loaded: 4 });
  }, 120_000);

  it('answers every batch of a group commit from its stored result after a kill between the commit and the acks', async () => {
    // the first transaction: k1, k2 and k3 arrive while the stream opens and commit together
    const crashing = await start({ STRONGROOM_TEST_CRASH_AT: 'ingest:after-commit@1' });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(crashing.client, crashing.client.createJob, {
      definition: 'name: crash-group\nsource: { kind: grpc }\n',
      baseDir: '',
    });
    const batch = (k: number) => ({
      batch: {
        idempotencyKey: `k${k}`,
        records: Array.from({ length: 200 }, (_, i) => ({
          txnId: `G-${k}-${i}`,
          account: `A${i % 5}`,
          counterpartyAccount: '',
          counterpartyName: '',
          amount: `${i}.50`,
          currency: 'EUR',
          bookedAt: '2026-11-01',
          valueDate: '',
          reference: '',
          cardPan: '',
        })),
      },
    });
    const c1 = createIngestServiceClient({ address: crashing.engine.address, token: testToken() });
    const first = c1.ingest();
    const got: IngestResponse[] = [];
    first.on('data', (r: IngestResponse) => got.push(r));
    const ended = new Promise<void>((resolve) => {
      first.on('error', () => resolve());
      first.on('end', () => resolve());
    });
    first.write({ open: { jobId: job.job?.id as string, streamId: 'g1' } });
    for (const k of [1, 2, 3]) first.write(batch(k));
    await ended; // the engine died after the group's COMMIT, before its acks
    c1.close();
    crashing.client.close();
    expect(got.map((r) => r.ack?.idempotencyKey ?? 'opened')).toEqual(['opened']);
    const { rows: audited } = await pg.query(
      `SELECT (subject->>'batchSeq')::int AS seq, (details->>'groupSize')::int AS size FROM immutable_audit_log
        WHERE action = 'batch:committed' AND subject->>'runId' = (SELECT id::text FROM job_runs WHERE job_id = $1)
        ORDER BY seq`,
      [job.job?.id],
    );
    expect(audited).toEqual([
      { seq: 1, size: 3 },
      { seq: 2, size: 3 },
      { seq: 3, size: 3 },
    ]);
    const e = await start();
    const c2 = createIngestServiceClient({ address: e.engine.address, token: testToken() });
    const s = new IngestStream(c2);
    await s.ask({ open: { jobId: job.job?.id as string, streamId: 'g1' } });
    // the client re-sends what it had no ack for: every batch of the group is answered from its stored result
    for (const k of [1, 2, 3, 4]) s.send(batch(k));
    const acks = [];
    for (let k = 0; k < 4; k++) acks.push((await s.next()).ack);
    expect(acks.map((a) => [a?.idempotencyKey, a?.duplicate, a?.batchSeq, a?.accepted])).toEqual([
      ['k1', true, 1, 200],
      ['k2', true, 2, 200],
      ['k3', true, 3, 200],
      ['k4', false, 4, 200],
    ]);
    const done = await s.ask({ complete: {} });
    s.call.end();
    c2.close();
    e.client.close();
    expect(done.completed?.run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 800, loaded: 800 });
    const { rows } = await pg.query(
      `SELECT count(*)::int AS n, count(DISTINCT txn_id)::int AS keys FROM transactions
        WHERE run_id = (SELECT id FROM job_runs WHERE job_id = $1)`,
      [job.job?.id],
    );
    expect(rows[0]).toEqual({ n: 800, keys: 800 });
  }, 120_000);
});
