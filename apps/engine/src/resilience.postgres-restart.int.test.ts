import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startCluster, type Cluster } from '@strongroom/embedded-pg';
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import {
  createJobServiceClient,
  createOpsServiceClient,
  type ListBreakersRequest,
  type ListBreakersResponse,
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
import { makeTempDir, startEngineProcess, startFaultProxy, unaryCall, type EngineProcess } from '@strongroom/testing';

/**
 * PostgreSQL stopped with an immediate shutdown in the middle of a run and started again 5 s later:
 * the run pauses (the postgres breaker opens), then completes by itself with nothing lost or doubled.
 * A dedicated cluster, so the shared test cluster is not disturbed.
 */
const ROWS = 200_000;
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
    engine = await startEngineProcess({
      databaseUrl: cluster.url,
      env: { STRONGROOM_HOME: makeTempDir(), LOG_LEVEL: 'warn' },
    });
    client = createJobServiceClient({ address: engine.address, token: engine.token });
    const csv = path.join(dir, 'restart.csv');
    // enough rows that the database goes away in the middle of the run, however fast the engine is
    const gen = await generateTransactionsCsv(csv, { rows: ROWS, seed: 11, idPrefix: 'PR' });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, {
      definition: `name: pg-restart\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 2000, maxSize: 2000 }\nerrors: { maxRejectRatio: 0.05 }\n`,
      baseDir: '',
    });
    const runId = (
      await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, { jobId: job.job?.id ?? '', file: '' })
    ).run?.id as string;
    const getRun = () =>
      unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId }, 3000).then((r) => r.run as Run);
    let readBefore = 0;
    for (let r = await getRun(); (readBefore = r.read ?? 0) < 4000; r = await getRun())
      await new Promise((res) => setTimeout(res, 50));
    expect(readBefore).toBeLessThan(ROWS); // the database goes away in the middle of the run

    await cluster.stopImmediate();
    // for 5 s the database is away: the breaker must open and the engine report NOT_SERVING
    const ops = createOpsServiceClient({ address: engine.address, token: engine.token });
    const HealthClient = makeGenericClientConstructor(healthService, 'Health');
    const health = new HealthClient(engine.address, credentials.createInsecure()) as unknown as {
      check(
        req: { service: string },
        opts: { deadline: Date },
        cb: (e: Error | null, r: { status: string }) => void,
      ): void;
      close(): void;
    };
    const seen = new Set<string>();
    const outageEnds = Date.now() + 5000;
    while (Date.now() < outageEnds) {
      const b = await unaryCall<ListBreakersRequest, ListBreakersResponse>(ops, ops.listBreakers, {}, 1000).catch(
        () => undefined,
      );
      const pgState = b?.breakers.find((x) => x.name === 'postgres')?.state;
      if (pgState) seen.add(pgState);
      const h = await new Promise<string>((resolve) =>
        health.check({ service: '' }, { deadline: new Date(Date.now() + 1000) }, (e, r) =>
          resolve(e ? 'ERROR' : r.status),
        ),
      );
      seen.add(`health:${h}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toContain('OPEN');
    expect(seen).toContain('health:NOT_SERVING');
    ops.close();
    health.close();
    cluster = await startCluster({ dataDir: path.join(dir, 'data'), ephemeral: true, port });

    let run: Run | undefined;
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      run = await getRun().catch(() => undefined); // UNAVAILABLE while the engine reconnects
      if (run && run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PAUSED) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: ROWS, filtered: 0 });
    expect((run?.loaded ?? 0) + (run?.deadLettered ?? 0)).toBe(ROWS);
    expect(run?.deadLettered).toBe(gen.bad);
    expect(run?.attempts).toBeGreaterThanOrEqual(2);

    const pg = new Client({ connectionString: cluster.url });
    await pg.connect();
    try {
      const [keys] = (
        await pg.query(
          'SELECT count(*)::int AS n, count(DISTINCT (source_system, txn_id))::int AS k FROM transactions WHERE run_id = $1',
          [runId],
        )
      ).rows;
      expect(keys).toEqual({ n: run?.loaded, k: run?.loaded });
      const [breaker] = (await pg.query(`SELECT state FROM circuit_breaker_states WHERE name = 'postgres'`)).rows;
      expect(breaker).toEqual({ state: 'CLOSED' });
      const actions = (
        await pg.query(`SELECT action FROM immutable_audit_log WHERE action LIKE 'breaker:%' ORDER BY seq`)
      ).rows.map((r) => r.action);
      expect(actions[0]).toBe('breaker:opened');
      expect(actions[actions.length - 1]).toBe('breaker:closed');
    } finally {
      await pg.end();
    }
  }, 150_000);

  it('completes a run over a database link with 200 ms of added latency without tripping the breaker', async () => {
    const latencyDir = fs.mkdtempSync(path.join(os.tmpdir(), `strongroom-test-${process.pid}-`));
    fs.chmodSync(latencyDir, 0o755);
    const slowDb = await startCluster({ dataDir: path.join(latencyDir, 'data'), ephemeral: true });
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: slowDb.port });
    const viaProxy = slowDb.url.replace(`:${slowDb.port}/`, `:${proxy.port}/`);
    const slowEngine = await startEngineProcess({
      databaseUrl: viaProxy,
      env: { STRONGROOM_HOME: makeTempDir(), LOG_LEVEL: 'warn' },
    });
    const c = createJobServiceClient({ address: slowEngine.address, token: slowEngine.token });
    try {
      const csv = path.join(latencyDir, 'latency.csv');
      await generateTransactionsCsv(csv, { rows: 3000, seed: 3, idPrefix: 'LT', badRatio: 0 });
      proxy.setMode({ mode: 'delay', ms: 200 });
      const job = await unaryCall<CreateJobRequest, CreateJobResponse>(
        c,
        c.createJob,
        {
          definition: `name: slow-link\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 1500, maxSize: 1500 }\n`,
          baseDir: '',
        },
        30_000,
      );
      const runId = (
        await unaryCall<RunJobRequest, RunJobResponse>(c, c.runJob, { jobId: job.job?.id ?? '', file: '' }, 30_000)
      ).run?.id as string;
      let run: Run | undefined;
      for (const until = Date.now() + 100_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
        run = (await unaryCall<GetRunRequest, GetRunResponse>(c, c.getRun, { runId }, 30_000)).run;
        if (run && run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PENDING) break;
      }
      expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 3000, loaded: 3000, attempts: 1 });
      proxy.setMode({ mode: 'pass' });
      const pg = new Client({ connectionString: slowDb.url });
      await pg.connect();
      const { rows } = await pg.query(
        `SELECT (SELECT count(*) FROM circuit_breaker_states)::int AS states, (SELECT count(*) FROM immutable_audit_log WHERE action LIKE 'breaker:%')::int AS audited`,
      );
      await pg.end();
      expect(rows[0]).toEqual({ states: 0, audited: 0 }); // latency is not a failure: no trip
    } finally {
      c.close();
      proxy.setMode({ mode: 'pass' });
      await slowEngine.stop();
      await proxy.close();
      await slowDb.stop();
      fs.rmSync(latencyDir, { recursive: true, force: true });
    }
  }, 150_000);
});
