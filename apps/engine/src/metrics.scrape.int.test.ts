// @clock-sensitive: SLA deadlines are compared with the engine's clock; npm test runs this file again with the clock a year ahead.
import {
  createAuditServiceClient,
  createIngestServiceClient,
  createJobServiceClient,
  RunStatus,
  SlaStatus,
  type AuditServiceClient,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type IngestResponse,
  type JobServiceClient,
  type Run,
  type RunJobRequest,
  type RunJobResponse,
  type VerifyRequest,
  type VerifyResponse,
} from '@strongroom/contract';
import {
  createTestDatabase,
  makeTempDir,
  promSample,
  querySql,
  startEngineProcess,
  unaryCall,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const HEADER = 'id,account,amount,currency,booked_at';

const sample = promSample;

/**
 * The engine's /metrics is scraped like Prometheus would, after real runs: the named series are there
 * with the right figures, and a run that breaks its SLA is BREACHED over gRPC, audited once and counted.
 */
describe('engine metrics and SLAs (real engine, real PostgreSQL)', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let audit: AuditServiceClient;
  const dir = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    audit = createAuditServiceClient({ address: engine.address, token: engine.token });
  });
  afterAll(async () => {
    jobs?.close();
    audit?.close();
    expect(await engine?.stop()).toBe(0);
    await db?.drop();
  });

  async function runJob(name: string, rows: string[], extra: string): Promise<Run> {
    const csv = writeTempFile(dir, `${name}.csv`, [HEADER, ...rows].join('\n') + '\n');
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 100, maxSize: 100 }\nerrors: { maxRejectRatio: 0.5 }\n${extra}`,
      baseDir: '',
    });
    const runId = (
      await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })
    ).run?.id as string;
    for (;;) {
      const run = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run as Run;
      if (run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PENDING) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('serves the named series with the figures of the runs, breakers, DLQ and audit chain', async () => {
    expect(engine.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const good = Array.from({ length: 950 }, (_, i) => `g-${i},ACC${i % 5},${i + 1}.00,EUR,2026-01-02T10:00:00Z`);
    const bad = Array.from({ length: 50 }, (_, i) => `b-${i},ACC1,not-money,EUR,2026-01-02T10:00:00Z`);
    // 5 % dead-lettered against a 1 % maximum: BREACHED on the error rate; the deadline is a month away
    const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const breached = await runJob(
      'metrics-breach',
      [...good.slice(0, 500), ...bad, ...good.slice(500)],
      `sla: { deadline: "${inAMonth}", maxErrorRate: 0.01 }\n`,
    );
    expect(breached).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, loaded: 950, deadLettered: 50 });
    expect(breached.sla).toMatchObject({
      status: SlaStatus.SLA_STATUS_BREACHED,
      hasMaxErrorRate: true,
      maxErrorRate: 0.01,
      reason: 'error rate 5.00 % is above the maximum 1.00 %',
    });
    const onTrack = await runJob(
      'metrics-ok',
      good.slice(0, 300).map((l) => l.replace(/^g-/, 'ok-')),
      `sla: { deadline: "${inAMonth}", maxErrorRate: 0.05 }\n`,
    );
    expect(onTrack.sla?.status).toBe(SlaStatus.SLA_STATUS_ON_TRACK);
    const noSla = await runJob('metrics-none', ['n-1,ACC1,1.00,EUR,2026-01-02T10:00:00Z'], '');
    expect(noSla.sla?.status).toBe(SlaStatus.SLA_STATUS_NONE);
    const verified = await unaryCall<VerifyRequest, VerifyResponse>(audit, audit.verify, {
      checkpointJson: '',
      incremental: false,
    });
    expect(verified.ok).toBe(true);

    // the breach is audited exactly once (progress snapshots after it do not repeat it)
    await new Promise((r) => setTimeout(r, 500));
    const entries = await querySql<{ n: string }>(
      db.url,
      `SELECT count(*)::text AS n FROM immutable_audit_log WHERE action = 'sla:breached' AND subject->>'runId' = $1`,
      [breached.id],
    );
    expect(entries[0]?.n).toBe('1');

    const text = await (await fetch(engine.metricsUrl as string)).text();
    expect(sample(text, 'strongroom_records_total', 'job="metrics-breach",outcome="loaded"')).toBe(950);
    expect(sample(text, 'strongroom_records_total', 'job="metrics-breach",outcome="dead_lettered"')).toBe(50);
    expect(sample(text, 'strongroom_runs_finished_total', 'job="metrics-ok",status="SUCCEEDED"')).toBe(1);
    expect(sample(text, 'strongroom_batch_commit_seconds_count', 'job="metrics-breach"')).toBe(10);
    expect(sample(text, 'strongroom_batch_commit_seconds_bucket', 'job="metrics-breach",le="+Inf"')).toBe(10);
    expect(sample(text, 'strongroom_run_throughput_records_per_second', 'job="metrics-ok"')).toBe(0); // nothing running now
    expect(sample(text, 'strongroom_runs_active')).toBe(0);
    expect(sample(text, 'strongroom_dlq_depth')).toBe(50);
    expect(sample(text, 'strongroom_breaker_state', 'breaker="postgres"')).toBe(0);
    expect(sample(text, 'strongroom_audit_chain_length')).toBeGreaterThan(20);
    expect(sample(text, 'strongroom_audit_last_verification_ok')).toBe(1);
    expect(sample(text, 'strongroom_audit_last_verification_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 120,
    );
    expect(sample(text, 'strongroom_sla_breaches_total', 'job="metrics-breach"')).toBe(1);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(1_000_000);
    // the engine's young generation (ENGINE_NODE_FLAGS): semi-spaces of 64 MB from the start; V8's default starts at 1 MB and stops at 16
    expect(sample(text, 'nodejs_heap_space_size_total_bytes', 'space="new"')).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(text).toMatch(/service="engine"/);
    // every strongroom series the engine serves is in docs/observability.md's engine table, and every one that
    // table names is served: a metric added without its row (or a row left behind) fails here
    const served = [...text.matchAll(/^# TYPE (strongroom_[a-z0-9_]+) /gm)].map((m) => m[1]).sort();
    const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'observability.md'), 'utf8');
    const table = doc.slice(doc.indexOf('### Engine'), doc.indexOf('\n### ', doc.indexOf('### Engine') + 1));
    const documented = [...new Set([...table.matchAll(/`(strongroom_[a-z0-9_]+)`/g)].map((m) => m[1]))].sort();
    expect(served).toEqual(documented);
  }, 120_000);

  it('counts the records and batch commits of a gRPC ingest run like those of a file run', async () => {
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: 'name: metrics-ingest\nsource: { kind: grpc }\n',
      baseDir: '',
    });
    const ingest = createIngestServiceClient({ address: engine.address, token: engine.token });
    const call = ingest.ingest();
    const answers: IngestResponse[] = [];
    let wake: (() => void) | undefined;
    call.on('data', (r: IngestResponse) => {
      answers.push(r);
      wake?.();
    });
    const ask = async (msg: Parameters<typeof call.write>[0]) => {
      call.write(msg);
      while (!answers.length) await new Promise<void>((r) => (wake = r));
      return answers.shift() as IngestResponse;
    };
    const rec = (n: number, amount = `${n}.00`) => ({
      txnId: `mi-${n}`,
      account: 'ACC1',
      counterpartyAccount: '',
      counterpartyName: '',
      amount,
      currency: 'EUR',
      bookedAt: '2026-01-02T10:00:00Z',
      valueDate: '',
      reference: '',
      cardPan: '',
    });
    try {
      await ask({ open: { jobId: job.job?.id ?? '', streamId: 'metrics-ingest-1' } });
      for (let b = 0; b < 3; b++) {
        // the second batch carries 2 records that are not money: dead-lettered
        const records = Array.from({ length: 100 }, (_, i) => rec(b * 100 + i, b === 1 && i < 2 ? 'ten' : undefined));
        expect((await ask({ batch: { idempotencyKey: `k-${b}`, records } })).ack?.accepted).toBe(b === 1 ? 98 : 100);
      }
      expect((await ask({ complete: {} })).completed?.run?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    } finally {
      call.end();
      ingest.close();
    }
    await new Promise((r) => setTimeout(r, 300)); // observation is asynchronous
    const text = await (await fetch(engine.metricsUrl as string)).text();
    expect(sample(text, 'strongroom_records_total', 'job="metrics-ingest",outcome="loaded"')).toBe(298);
    expect(sample(text, 'strongroom_records_total', 'job="metrics-ingest",outcome="dead_lettered"')).toBe(2);
    expect(sample(text, 'strongroom_batch_commit_seconds_count', 'job="metrics-ingest"')).toBe(3);
    expect(sample(text, 'strongroom_runs_finished_total', 'job="metrics-ingest",status="SUCCEEDED"')).toBe(1);
    const [perf] = await querySql<{ p50: string | null }>(
      db.url,
      `SELECT m.batch_p50_ms::text AS p50 FROM performance_metrics m JOIN job_runs r ON r.id = m.run_id WHERE r.job_id = $1`,
      [job.job?.id],
    );
    expect(Number(perf?.p50)).toBeGreaterThan(0); // the run's performance_metrics carry its batch latencies
  }, 60_000);
});
