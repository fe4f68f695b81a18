import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import {
  createJobServiceClient,
  createOpsServiceClient,
  type ListBreakersRequest,
  type ListBreakersResponse,
  type ListReplicasRequest,
  type ListReplicasResponse,
  deadlineIn,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type PauseRunRequest,
  type PauseRunResponse,
  type ResumeRunRequest,
  type ResumeRunResponse,
  type Run,
  type RunJobRequest,
  type RunJobResponse,
  type WatchRunResponse,
} from '@strongroom/contract';
import { generateTransactionsCsv, type GeneratedFile } from '@strongroom/datagen';
import { sqlExec } from '@strongroom/db';
import {
  createTestDatabase,
  exited,
  holdTableLock,
  makeTempDir,
  promSample,
  startEngineProcess,
  unaryCall,
  waitForLockWaiter,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

/**
 * Run threads (ENGINE_RUN_THREADS): worker threads of one engine claim a file run's partitions beside its main
 * thread, as replicas do. Real engine processes and a real PostgreSQL: a run shared by three threads loads every
 * record once with its progress in order, a pause reaches every thread, and an engine killed while its threads
 * commit resumes the run exactly once.
 */
const REPLICA = 'threaded';
const JOB = (name: string, csv: string, extra = '') =>
  `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }\nbatching: { minSize: 500, maxSize: 500 }\n${extra}`;

describe('run threads share a file run by partitions (real engine processes)', () => {
  let db: TestDatabase;
  let pg: Client;
  const dir = makeTempDir();
  const engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });
  afterAll(async () => {
    await pg.end();
    await db.drop();
  });

  async function start(env: Record<string, string> = {}) {
    const engine = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home`,
        ENGINE_REPLICA_ID: REPLICA,
        ENGINE_RUN_THREADS: '2',
        STRONGROOM_PARTITION_BYTES: String(256 * 1024),
        ...env,
      },
    });
    engines.push(engine);
    return { engine, client: createJobServiceClient({ address: engine.address, token: engine.token }) };
  }

  async function submit(client: JobServiceClient, name: string, csv: string, extra = ''): Promise<string> {
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, {
      definition: JOB(name, csv, extra),
      baseDir: '',
    });
    const run = await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, {
      jobId: job.job?.id ?? '',
      file: '',
    });
    return run.run?.id as string;
  }

  const getRun = async (client: JobServiceClient, runId: string) =>
    (await unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId })).run as Run;

  async function until(what: string, check: () => Promise<boolean>, ms = 120_000) {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every record loaded or dead-lettered once, the file's exact sums, one audit entry per batch, the chain intact. */
  async function verify(runId: string, gen: GeneratedFile) {
    const q = async (sql: string) => (await pg.query(sql, [runId])).rows;
    const [run] = await q(
      `SELECT status, records_read::int AS read, records_loaded::int AS loaded, records_dead_lettered::int AS dead,
              batches_committed AS batches FROM job_runs WHERE id = $1`,
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', read: gen.rows, loaded: gen.rows - gen.bad, dead: gen.bad });
    const [sink] = await q(
      'SELECT count(*)::int AS n, count(DISTINCT (source_system, txn_id))::int AS keys FROM transactions WHERE run_id = $1',
    );
    expect(sink).toEqual({ n: run.loaded, keys: run.loaded });
    const [dlq] = await q('SELECT count(DISTINCT record_no)::int AS n FROM dead_letter_queue WHERE run_id = $1');
    expect(dlq.n).toBe(gen.bad);
    const sums = await q(
      `SELECT currency, count(*)::text AS count, (sum(amount) * power(10, CASE currency WHEN 'JPY' THEN 0 WHEN 'KWD' THEN 3 ELSE 2 END))::bigint::text AS minor
         FROM transactions WHERE run_id = $1 GROUP BY currency ORDER BY currency`,
    );
    expect(Object.fromEntries(sums.map((s) => [s.currency, { count: s.count, minor: s.minor }]))).toEqual(
      gen.goodTotals,
    );
    const [audit] = await q(
      `SELECT count(*)::int AS n FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1::text`,
    );
    expect(audit.n).toBe(run.batches);
    expect((await verifyChain(sqlExec(pg))).ok).toBe(true);
    return run as { batches: number };
  }

  /** Who committed the run's batches (each batch's audit entry names its lease owner). */
  const owners = async (runId: string) =>
    new Set(
      (
        await pg.query(
          `SELECT DISTINCT details->>'replica' AS owner FROM immutable_audit_log
            WHERE action = 'batch:committed' AND subject->>'runId' = $1`,
          [runId],
        )
      ).rows.map((r) => r.owner as string),
    );

  it('loads a run on the main thread and two run threads: every record once, progress in order, one commit metric per batch', async () => {
    const csv = `${dir}/shared.csv`;
    const gen = await generateTransactionsCsv(csv, { rows: 30_000, seed: 5, badRatio: 0.01, idPrefix: 'TH' });
    const { engine, client } = await start();
    const runId = await submit(client, 'threads-shared', csv);
    const snapshots: Run[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.watchRun({ runId }, { deadline: deadlineIn(120_000) });
      stream.on('data', (m: WatchRunResponse) => m.run && snapshots.push(m.run));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const run = await verify(runId, gen);
    // the partitions were worked by this engine's threads, each under its own lease owner
    const by = await owners(runId);
    expect([...by].every((o) => [REPLICA, `${REPLICA}/t1`, `${REPLICA}/t2`].includes(o))).toBe(true);
    expect(by.size).toBeGreaterThanOrEqual(2);
    expect([...by].some((o) => o.startsWith(`${REPLICA}/t`))).toBe(true);
    // progress from three threads reaches a watcher in order, and ends with the run's end
    expect(snapshots.length).toBeGreaterThan(2);
    for (let i = 1; i < snapshots.length; i++)
      expect((snapshots[i] as Run).read).toBeGreaterThanOrEqual((snapshots[i - 1] as Run).read);
    expect(snapshots[snapshots.length - 1]).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: gen.rows });
    expect(snapshots.filter((s) => s.status === RunStatus.RUN_STATUS_SUCCEEDED).length).toBeGreaterThan(0);
    // each thread's batch commits reach the engine's metrics
    const metrics = await (await fetch(engine.metricsUrl as string)).text();
    expect(promSample(metrics, 'strongroom_batch_commit_seconds_count', 'job="threads-shared"')).toBe(run.batches);
    client.close();
  }, 180_000);

  it('runs the AML checks and encrypts a RESTRICTED field on the run threads as on the main thread', async () => {
    const csv = `${dir}/compliance.csv`;
    const gen = await generateTransactionsCsv(csv, {
      rows: 20_000,
      seed: 9,
      badRatio: 0.01,
      idPrefix: 'TC',
      largeAmounts: true,
    });
    const { client } = await start();
    const runId = await submit(
      client,
      'threads-compliance',
      csv,
      'compliance: { frameworks: [SOX, PCI_DSS, AML], sanctions: off, classification: { account: RESTRICTED } }\n',
    );
    await until('the run ends', async () => (await getRun(client, runId)).status === RunStatus.RUN_STATUS_SUCCEEDED);
    await verify(runId, gen);
    expect([...(await owners(runId))].some((o) => o.startsWith(`${REPLICA}/t`))).toBe(true);
    // every stored account is encrypted under the key ring's key (one ring file, read by every thread)
    const { rows: accounts } = await pg.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE account LIKE 'enc:v1:k1:%')::int AS encrypted
         FROM transactions WHERE run_id = $1`,
      [runId],
    );
    expect(accounts[0]).toEqual({ n: gen.rows - gen.bad, encrypted: gen.rows - gen.bad });
    // the alerts of the threads' batches are there: large amounts on nearly every row, each transaction's once
    const { rows: alerts } = await pg.query(
      `SELECT count(*)::int AS n, count(DISTINCT dedupe_key)::int AS keys FROM compliance_alerts
        WHERE run_id = $1 AND rule = 'LARGE_TRANSACTION'`,
      [runId],
    );
    expect(alerts[0].n).toBeGreaterThan((gen.rows - gen.bad) / 2);
    expect(alerts[0].keys).toBe(alerts[0].n);
    client.close();
  }, 180_000);

  it("counts the threads' partitions as the engine's, pauses every thread of a run and resumes it to the same end", async () => {
    const csv = `${dir}/pause.csv`;
    const gen = await generateTransactionsCsv(csv, { rows: 60_000, seed: 6, badRatio: 0, idPrefix: 'TP' });
    const { engine, client } = await start();
    const runId = await submit(client, 'threads-pause', csv);
    await until('the run threads commit too', async () => [...(await owners(runId))].some((o) => o.includes('/t')));
    // from here every commit waits on a lock the test holds, so the run is surely mid-way when it is paused,
    // however fast or slow the machine is
    const release = await holdTableLock(db.url, 'transactions');
    let pausing: Promise<unknown> | undefined;
    try {
      // the engine's replica entry counts the partitions its threads hold as its own
      const ops = createOpsServiceClient({ address: engine.address, token: engine.token });
      await until(
        "the replica lists its threads' partitions",
        async () => {
          const { replicas } = await unaryCall<ListReplicasRequest, ListReplicasResponse>(ops, ops.listReplicas, {
            includeStopped: false,
          });
          const me = replicas.find((r) => r.id === REPLICA);
          return (me?.partitionsHeld ?? 0) >= 2 && me?.runsHeld === 1;
        },
        20_000,
      );
      // each thread's breakers are listed, and exported as metrics, beside the main thread's (under <breaker>/t<n>)
      const { breakers } = await unaryCall<ListBreakersRequest, ListBreakersResponse>(ops, ops.listBreakers, {});
      const names = breakers.map((b) => b.name);
      for (const name of ['postgres', 'source:file', 'postgres/t1', 'source:file/t1', 'postgres/t2', 'source:file/t2'])
        expect(names).toContain(name);
      expect(breakers.find((b) => b.name === 'postgres/t2')?.state).toBe('CLOSED');
      const metrics = await (await fetch(engine.metricsUrl as string)).text();
      expect(promSample(metrics, 'strongroom_breaker_state', 'breaker="postgres/t1"')).toBe(0);
      ops.close();
      await waitForLockWaiter(db.url, 'transactions');
      pausing = unaryCall<PauseRunRequest, PauseRunResponse>(client, client.pauseRun, {
        runId,
        reason: 'threads test',
      });
      pausing.catch(() => undefined); // awaited below, after the lock is let go
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await release();
    }
    await pausing;
    await until('the run is paused', async () => (await getRun(client, runId)).status === RunStatus.RUN_STATUS_PAUSED);
    // no thread goes on: no partition stays leased, and nothing more commits
    const leased = async () =>
      (
        await pg.query(
          `SELECT count(*)::int AS n FROM run_checkpoints WHERE run_id = $1 AND NOT done AND owner IS NOT NULL
              AND lease_expires_at > clock_timestamp()`,
          [runId],
        )
      ).rows[0].n as number;
    await until('every partition is given back', async () => (await leased()) === 0, 10_000);
    const paused = await getRun(client, runId);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await getRun(client, runId)).read).toBe(paused.read);
    expect(paused.read).toBeGreaterThan(0);
    expect(paused.read).toBeLessThan(gen.rows);
    await unaryCall<ResumeRunRequest, ResumeRunResponse>(client, client.resumeRun, { runId, reason: 'threads test' });
    await until('the run ends', async () => (await getRun(client, runId)).status === RunStatus.RUN_STATUS_SUCCEEDED);
    await verify(runId, gen);
    client.close();
  }, 180_000);

  it('resumes exactly once after the engine is killed while its threads commit', async () => {
    const csv = `${dir}/kill.csv`;
    const gen = await generateTransactionsCsv(csv, { rows: 30_000, seed: 7, badRatio: 0.01, idPrefix: 'TK' });
    // each run thread counts its own crash point hits: the first thread to reach its third commit kills the process
    // (a point the main thread does not count: it may commit eight batches before a thread has started)
    const crashing = await start({ STRONGROOM_TEST_CRASH_AT: 'thread:batch:after-commit@3' });
    const runId = await submit(crashing.client, 'threads-kill', csv);
    await exited(crashing.engine);
    crashing.client.close();
    expect(crashing.engine.output()).toContain('crash point thread:batch:after-commit reached');
    engines.splice(0);
    // the killed engine's run threads had committed batches of their own
    expect([...(await owners(runId))].filter((o) => o.startsWith(`${REPLICA}/t`)).length).toBeGreaterThan(0);
    expect((await pg.query('SELECT status FROM job_runs WHERE id = $1', [runId])).rows[0].status).toBe('RUNNING');
    const { client } = await start();
    await until('the run ends', async () => (await getRun(client, runId)).status === RunStatus.RUN_STATUS_SUCCEEDED);
    await verify(runId, gen);
    client.close();
  }, 180_000);

  it('stops every thread on SIGTERM at a committed batch, gives every partition back, and finishes after a restart', async () => {
    const csv = `${dir}/drain.csv`;
    const gen = await generateTransactionsCsv(csv, { rows: 100_000, seed: 8, badRatio: 0.01, idPrefix: 'TD' });
    const first = await start();
    const runId = await submit(first.client, 'threads-drain', csv);
    await until('the run threads commit too', async () => [...(await owners(runId))].some((o) => o.includes('/t')));
    first.client.close();
    // the stop reaches the threads: they end their batches and give their partitions back at once (without it
    // they would load on until the shutdown grace, 30 s, ran out, and their leases would be left to expire)
    const t0 = Date.now();
    expect(await first.engine.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    engines.splice(0);
    const [mid] = (await pg.query('SELECT status, records_read::int AS read FROM job_runs WHERE id = $1', [runId]))
      .rows;
    expect(mid.status).toBe('RUNNING');
    expect(mid.read).toBeLessThan(gen.rows);
    const { rows: held } = await pg.query(
      'SELECT partition_no FROM run_checkpoints WHERE run_id = $1 AND NOT done AND owner IS NOT NULL',
      [runId],
    );
    expect(held).toEqual([]);
    const { client } = await start();
    await until('the run ends', async () => (await getRun(client, runId)).status === RunStatus.RUN_STATUS_SUCCEEDED);
    await verify(runId, gen);
    client.close();
  }, 180_000);
});
