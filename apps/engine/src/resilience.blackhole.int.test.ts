import path from 'node:path';
import { Client } from 'pg';
import { type ServiceError } from '@grpc/grpc-js';
import {
  createJobServiceClient,
  createOpsServiceClient,
  METADATA_KEYS,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type ListBreakersRequest,
  type ListBreakersResponse,
  type OpsServiceClient,
  type Run,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { generateTransactionsCsv } from '@strongroom/datagen';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  startFaultProxy,
  unaryCall,
  type EngineProcess,
  type FaultProxy,
  type TestDatabase,
} from '@strongroom/testing';

const POOL_SIZE = 5;
const CLIENT_TIMEOUT_MS = 3000;
const ROWS = 200_000;

/**
 * The database link blackholed for 10 s in the middle of a run (the proxy keeps the TCP sessions open
 * and forwards nothing: no reset, no error, just silence). Statements on the dead link end after the
 * client-side timeout; after a few in a row the postgres breaker opens and calls fail fast; the run
 * pauses and completes by itself once the link heals; no connection is leaked.
 */
describe('resilience: database link blackholed', () => {
  let db: TestDatabase;
  let proxy: FaultProxy;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let ops: OpsServiceClient;

  afterAll(async () => {
    proxy?.setMode({ mode: 'pass' });
    jobs?.close();
    ops?.close();
    await engine?.stop();
    await proxy?.close();
    await db?.drop();
  });

  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  }
  const engineBackends = async () =>
    (
      await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'strongroom-engine'`,
        [db.name],
      )
    )[0]?.n ?? 0;

  it('fails fast while the breaker is open, completes the run exactly once after healing, and leaks no connection', async () => {
    db = await createTestDatabase();
    const port = Number(new URL(db.url).port);
    proxy = await startFaultProxy({ host: '127.0.0.1', port });
    engine = await startEngineProcess({
      databaseUrl: db.url.replace(`:${port}/`, `:${proxy.port}/`),
      env: {
        STRONGROOM_HOME: makeTempDir(),
        DB_POOL_SIZE: String(POOL_SIZE),
        DB_STATEMENT_TIMEOUT_MS: '2000',
        DB_CLIENT_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
        DB_CONNECT_TIMEOUT_MS: '2000',
      },
    });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    ops = createOpsServiceClient({ address: engine.address, token: engine.token });
    const dir = makeTempDir();
    const csv = path.join(dir, 'blackhole.csv');
    // enough rows that the link goes silent in the middle of the run, however fast the engine is
    const gen = await generateTransactionsCsv(csv, { rows: ROWS, seed: 21, idPrefix: 'BH' });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: `name: blackhole\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 2000, maxSize: 2000 }\nerrors: { maxRejectRatio: 0.05 }\n`,
      baseDir: '',
    });
    const runId = (
      await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })
    ).run?.id as string;
    const getRun = (deadlineMs = 5000) =>
      unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId }, deadlineMs).then((r) => r.run as Run);
    let readBefore = 0;
    for (let r = await getRun(); (readBefore = r.read ?? 0) < 4000; r = await getRun())
      await new Promise((res) => setTimeout(res, 50));
    expect(readBefore).toBeLessThan(ROWS); // the link goes silent in the middle of the run

    // 10 s of silence on every connection, old and new
    proxy.setMode({ mode: 'blackhole' });
    const calls: Promise<{ at: number; ms: number; code: number; errorCode?: string; retryAfterMs?: string }>[] = [];
    const states: { at: number; state: string }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000) {
      const at = Date.now() - t0;
      calls.push(
        getRun().then(
          () => ({ at, ms: Date.now() - t0 - at, code: 0 }),
          (e: ServiceError) => ({
            at,
            ms: Date.now() - t0 - at,
            code: e.code,
            errorCode: e.metadata?.get('x-strongroom-error-code')[0] as string | undefined,
            retryAfterMs: e.metadata?.get(METADATA_KEYS.retryAfterMs)[0] as string | undefined,
          }),
        ),
      );
      const b = await unaryCall<ListBreakersRequest, ListBreakersResponse>(ops, ops.listBreakers, {}, 1000).catch(
        () => undefined,
      );
      states.push({ at: Date.now() - t0, state: b?.breakers.find((x) => x.name === 'postgres')?.state ?? 'NO-ANSWER' });
      await new Promise((r) => setTimeout(r, 200));
    }
    proxy.setMode({ mode: 'pass' });
    const results = await Promise.all(calls);

    // ListBreakers answers from memory all along, and saw the breaker open
    expect(states.filter((s) => s.state === 'NO-ANSWER')).toEqual([]);
    const openedAt = states.find((s) => s.state === 'OPEN')?.at;
    expect(openedAt).toBeDefined();
    // no call hung: each failed within the client timeout (+ connect/pool waits), none ran into its 5 s deadline
    const failed = results.filter((r) => r.code !== 0);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) {
      expect(r).toMatchObject({ code: 14, errorCode: 'DATABASE_UNAVAILABLE' }); // UNAVAILABLE, never INTERNAL or a hang
      expect(r.ms).toBeLessThan(CLIENT_TIMEOUT_MS + 1500);
    }
    // while the breaker was open, calls were refused at once, with a retry hint
    const fast = failed.filter((r) => r.ms < 100);
    expect(fast.length).toBeGreaterThanOrEqual(5);
    expect(fast.every((r) => Number(r.retryAfterMs) > 0)).toBe(true);
    const slow = failed.filter((r) => r.ms >= 100);
    const pct = (xs: number[], p: number) =>
      [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
    process.stdout.write(
      `blackhole 10 s: breaker open after ${openedAt} ms; ${fast.length} calls failed fast (p50 ${pct(
        fast.map((r) => r.ms),
        50,
      )} ms, max ${Math.max(...fast.map((r) => r.ms))} ms); ` +
        `${slow.length} waited for the client timeout (max ${Math.max(0, ...slow.map((r) => r.ms))} ms); ${results.length - failed.length} succeeded\n`,
    );

    // the run resumes by itself once the link heals, and completes exactly once
    let run: Run | undefined;
    for (const until = Date.now() + 90_000; Date.now() < until; await new Promise((r) => setTimeout(r, 300))) {
      run = await getRun().catch(() => undefined);
      if (run && run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PAUSED) break;
    }
    expect(run).toMatchObject({
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      read: ROWS,
      filtered: 0,
      deadLettered: gen.bad,
    });
    expect((run?.loaded ?? 0) + (run?.deadLettered ?? 0)).toBe(ROWS);
    expect(run?.attempts).toBeGreaterThanOrEqual(2); // the silence interrupted it, and it resumed
    const [keys] = await sql<{ n: number; k: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT (source_system, txn_id))::int AS k FROM transactions WHERE run_id = $1',
      [runId],
    );
    expect(keys).toEqual({ n: run?.loaded, k: run?.loaded });

    // no leaked connections: the engine's backends settle back within its pool size
    let backends = await engineBackends();
    for (
      const until = Date.now() + 15_000;
      backends > POOL_SIZE && Date.now() < until;
      backends = await engineBackends()
    )
      await new Promise((r) => setTimeout(r, 250));
    expect(backends).toBeLessThanOrEqual(POOL_SIZE);

    // the transitions are durable and in the audit chain
    const actions = (
      await sql<{ action: string }>(`SELECT action FROM immutable_audit_log WHERE action LIKE 'breaker:%' ORDER BY seq`)
    ).map((r) => r.action);
    expect(actions[0]).toBe('breaker:opened');
    expect(actions[actions.length - 1]).toBe('breaker:closed');
    expect(await sql(`SELECT state FROM circuit_breaker_states WHERE name = 'postgres'`)).toEqual([
      { state: 'CLOSED' },
    ]);
  }, 180_000);
});
