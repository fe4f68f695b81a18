import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startCluster, type Cluster } from '@strongroom/embedded-pg';
import {
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type Run,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { makeTempDir, startEngineProcess, unaryCall, type EngineProcess } from '@strongroom/testing';

/**
 * PostgreSQL stopped with an immediate shutdown in the middle of a run and started again 5 s later:
 * the run pauses (the postgres breaker opens), then completes by itself with nothing lost or doubled.
 * A dedicated cluster, so the shared test cluster is not disturbed.
 */
describe('resilience: PostgreSQL restart during a run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strongroom-test-${process.pid}-`));
  fs.chmodSync(dir, 0o755);
  let cluster: Cluster;
  let engine: EngineProcess;
  let client: JobServiceClient;

  afterAll(async () => {
    client?.close();
    await engine?.stop();
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pauses while the database is down and completes by itself once it is back, exactly once', async () => {
    cluster = await startCluster({ dataDir: path.join(dir, 'data'), ephemeral: true });
    const port = cluster.port;
    engine = await startEngineProcess({ databaseUrl: cluster.url, env: { STRONGROOM_HOME: makeTempDir(), LOG_LEVEL: 'warn' } });
    client = createJobServiceClient({ address: engine.address });
    const csv = path.join(dir, 'restart.csv');
    const gen = await generateTransactionsCsv(csv, { rows: 60_000, seed: 11, idPrefix: 'PR' });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, {
      definition: `name: pg-restart\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 2000, maxSize: 2000 }\nerrors: { maxRejectRatio: 0.05 }\n`,
      baseDir: '',
    });
    const runId = (await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, { jobId: job.job?.id ?? '' })).run?.id as string;
    const getRun = () => unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId }, 3000).then((r) => r.run as Run);
    for (let r = await getRun(); (r.read ?? 0) < 4000; r = await getRun()) await new Promise((res) => setTimeout(res, 50));

    await cluster.stopImmediate();
    await new Promise((r) => setTimeout(r, 5000));
    cluster = await startCluster({ dataDir: path.join(dir, 'data'), ephemeral: true, port });

    let run: Run | undefined;
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      run = await getRun().catch(() => undefined); // UNAVAILABLE while the engine reconnects
      if (run && run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PAUSED) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 60_000, filtered: 0 });
    expect((run?.loaded ?? 0) + (run?.deadLettered ?? 0)).toBe(60_000);
    expect(run?.deadLettered).toBe(gen.bad);
    expect(run?.attempts).toBeGreaterThanOrEqual(2);

    const pg = new Client({ connectionString: cluster.url });
    await pg.connect();
    try {
      const [keys] = (await pg.query('SELECT count(*)::int AS n, count(DISTINCT (source_system, txn_id))::int AS k FROM transactions WHERE run_id = $1', [runId])).rows;
      expect(keys).toEqual({ n: run?.loaded, k: run?.loaded });
      const [breaker] = (await pg.query(`SELECT state FROM circuit_breaker_states WHERE name = 'postgres'`)).rows;
      expect(breaker).toEqual({ state: 'CLOSED' });
      const actions = (await pg.query(`SELECT action FROM immutable_audit_log WHERE action LIKE 'breaker:%' ORDER BY seq`)).rows.map((r) => r.action);
      expect(actions[0]).toBe('breaker:opened');
      expect(actions[actions.length - 1]).toBe('breaker:closed');
    } finally {
      await pg.end();
    }
  }, 150_000);
});
