import fs from 'node:fs';
import path from 'node:path';
import {
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { RUNTIME_LOGIN, withLogin } from '@strongroom/db';
import {
  createTestDatabase,
  makeTempDir,
  querySession,
  querySql,
  startEngineProcess,
  unaryCall,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const HEADER = 'id,account,amount,currency,booked_at';

/**
 * The engine's database sessions are least-privileged (issue 16, item 5): they log in as a runtime login
 * that is no superuser and can SET ROLE to nothing, may not UPDATE or DELETE the sink or its integrity
 * rows, and remove rows only through the owner's functions, which check their preconditions.
 */
describe('the engine database login (real engine, real PostgreSQL)', () => {
  const dir = makeTempDir();
  const inbox = path.join(dir, 'inbox');
  const home = path.join(dir, 'home');
  let db: TestDatabase;
  let engine: EngineProcess;
  let client: JobServiceClient;
  let runtimeUrl: string;
  let runId: string;
  let jobId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: home, STRONGROOM_SOURCE_ROOTS: inbox },
    });
    client = createJobServiceClient({ address: engine.address, token: engine.token });
    const password = fs.readFileSync(path.join(home, 'keys', 'db-runtime.password'), 'utf8').trim();
    runtimeUrl = withLogin(db.url, RUNTIME_LOGIN, password);
    const file = writeTempFile(
      inbox,
      'day.csv',
      `${HEADER}\nt1,ACC1,10.00,EUR,2026-01-02T10:00:00Z\nt2,ACC2,20.00,EUR,2026-01-02T11:00:00Z\n`,
    );
    const created = await unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, {
      definition: `name: privileges\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\n`,
      baseDir: '',
    });
    jobId = created.job?.id ?? '';
    runId = (await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, { jobId, file: '' })).run?.id ?? '';
    for (;;) {
      const run = (await unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId })).run;
      if (run?.status === RunStatus.RUN_STATUS_SUCCEEDED) break;
      expect(run?.status).not.toBe(RunStatus.RUN_STATUS_FAILED);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await engine?.stop();
    await db?.drop();
  });

  async function refusedAsRuntime(sql: string, params: unknown[] = []): Promise<string> {
    try {
      await querySql(runtimeUrl, sql, params);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`the runtime login was allowed: ${sql}`);
  }

  it('logs every engine session in as the runtime login, which is no superuser and can become nothing more', async () => {
    // its generated password is readable by the engine's user only
    expect(fs.statSync(path.join(home, 'keys', 'db-runtime.password')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(home, 'keys')).mode & 0o077).toBe(0);
    const sessions = await querySql<{ usename: string; rolsuper: boolean }>(
      db.url,
      `SELECT a.usename, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
        WHERE a.datname = current_database() AND a.application_name IN ('strongroom-engine', 'strongroom-batch-worker')`,
    );
    expect(sessions.length).toBeGreaterThan(0);
    expect(new Set(sessions.map((s) => `${s.usename}:${s.rolsuper}`))).toEqual(new Set([`${RUNTIME_LOGIN}:false`]));
    const [login] = await querySql(
      db.url,
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication,
              array(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid)::text[] AS member_of
         FROM pg_roles r WHERE rolname = $1`,
      [RUNTIME_LOGIN],
    );
    expect(login).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolbypassrls: false,
      rolreplication: false,
      member_of: ['strongroom_runtime'],
    });
    // the attack on main: RESET/SET ROLE NONE gave the superuser back; now there is nothing to go back to
    expect(
      await querySession(runtimeUrl, [
        'SET ROLE NONE',
        `SELECT current_user AS u, current_setting('is_superuser') AS su`,
      ]),
    ).toEqual([{ u: RUNTIME_LOGIN, su: 'off' }]);
    expect(await refusedAsRuntime(`SET ROLE ${new URL(db.url).username}`)).toMatch(/permission denied to set role/);
    expect(await refusedAsRuntime(`COPY (SELECT 1) TO PROGRAM 'true'`)).toMatch(/permission denied|must be superuser/);
    expect(await refusedAsRuntime(`ALTER TABLE immutable_audit_log DISABLE TRIGGER ALL`)).toMatch(/must be owner/);
  });

  it('may not change or delete the sink or its integrity rows', async () => {
    for (const sql of [
      `UPDATE transactions SET amount = 999999.99 WHERE run_id = $1`,
      `DELETE FROM transactions WHERE run_id = $1`,
      `UPDATE transaction_integrity SET digest_sha256 = repeat('0', 64) WHERE run_id = $1`,
      `DELETE FROM transaction_integrity WHERE run_id = $1`,
      `DELETE FROM job_runs WHERE id = $1`,
      `DELETE FROM compliance_alerts WHERE run_id = $1`,
    ])
      expect(await refusedAsRuntime(sql, [runId])).toMatch(/permission denied/);
    // the encrypted columns are granted for key rotation, but change only ciphertext for ciphertext, during one
    expect(await refusedAsRuntime(`UPDATE transactions SET account = 'ACC9' WHERE run_id = $1`, [runId])).toMatch(
      /only by re-encryption during a key rotation/,
    );
    const rows = await querySql(db.url, `SELECT txn_id, amount::text, account FROM transactions ORDER BY txn_id`);
    expect(rows).toEqual([
      { txn_id: 't1', amount: '10.00', account: 'ACC1' },
      { txn_id: 't2', amount: '20.00', account: 'ACC2' },
    ]);
  });

  it("removes rows only through the owner's checked functions, never a published run's", async () => {
    expect(await refusedAsRuntime(`SELECT strongroom_unpublish_run($1)`, [runId])).toMatch(
      /is SUCCEEDED: only the rows of a FAILED or CANCELLED run may be removed/,
    );
    // alerts go only with a FAILED or CANCELLED run's rows
    expect(await refusedAsRuntime(`SELECT strongroom_withdraw_alerts($1)`, [runId])).toMatch(
      /is SUCCEEDED: only the alerts of a FAILED or CANCELLED run may be withdrawn/,
    );
    expect(await refusedAsRuntime(`UPDATE job_runs SET status = 'FAILED' WHERE id = $1`, [runId])).toMatch(
      /is published \(SUCCEEDED\) and cannot become FAILED/,
    );
    // the retention purge may not run with a clock ahead of the database's…
    expect(
      await refusedAsRuntime(`SELECT strongroom_purge_transactions($1, 1, now() + interval '400 days', 1000)`, [jobId]),
    ).toMatch(/later than the database clock/);
    // …nor with a retention other than the job's own
    await querySql(db.url, `UPDATE jobs SET retention_days = 3650 WHERE id = $1`, [jobId]);
    expect(await refusedAsRuntime(`SELECT strongroom_purge_transactions($1, 1, now(), 1000)`, [jobId])).toMatch(
      /retention of 1 days refused/,
    );
    // a lawful purge works and records itself
    await querySql(db.url, `UPDATE jobs SET retention_days = 1 WHERE id = $1`, [jobId]);
    expect(
      await querySql(runtimeUrl, `SELECT strongroom_purge_transactions($1, 1, now(), 1000)::int AS n`, [jobId]),
    ).toEqual([{ n: 2 }]);
    expect(
      await querySql(db.url, `SELECT reason, row_count::int AS n, database_user FROM sink_removals WHERE job_id = $1`, [
        jobId,
      ]),
    ).toEqual([{ reason: 'RETENTION', n: 2, database_user: RUNTIME_LOGIN }]);
    expect(await refusedAsRuntime(`DELETE FROM sink_removals`)).toMatch(/permission denied/);
  });

  it('refuses to start on a runtime login that can do more than the engine needs (here the superuser)', async () => {
    await expect(
      startEngineProcess({
        databaseUrl: db.url,
        env: { STRONGROOM_HOME: path.join(dir, 'home2'), STRONGROOM_SOURCE_ROOTS: inbox, DATABASE_RUNTIME_URL: db.url },
      }),
    ).rejects.toThrow(/refusing to start: the engine's database login can do more than the engine needs \(.*SUPERUSER/);
  });
});
