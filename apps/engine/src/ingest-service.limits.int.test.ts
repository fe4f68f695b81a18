import { status, type ServiceError } from '@grpc/grpc-js';
import {
  createIngestServiceClient,
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type IngestRecord,
  type IngestServiceClient,
  type JobServiceClient,
  type ListJobsRequest,
  type ListJobsResponse,
} from '@strongroom/contract';
import { ERROR_CODE_METADATA_KEY } from '@strongroom/errors';
import {
  createTestDatabase,
  IngestStream,
  makeTempDir,
  querySql,
  startEngineProcess,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const record = (n: number, reference = ''): IngestRecord => ({
  txnId: `L-${n}`,
  account: 'ACC1',
  counterpartyAccount: '',
  counterpartyName: '',
  amount: '1.00',
  currency: 'EUR',
  bookedAt: '2026-11-01T10:00:00Z',
  valueDate: '',
  reference,
  cardPan: '',
});

function codeOf(err: unknown): { grpc: number | undefined; code: unknown } {
  const e = err as ServiceError;
  return { grpc: e.code, code: e.metadata?.get(ERROR_CODE_METADATA_KEY)[0] };
}

/**
 * Limits at the ingest edge (issue 16, item 7). On main, ten idle streams held the whole database pool
 * (one connection each, for their lifetime) and every other call got `database unavailable`.
 */
describe('ingest limits (real engine)', () => {
  const dir = makeTempDir();
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let ingest: IngestServiceClient;
  let jobId: string;
  const streams: IngestStream[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${dir}/home`, DB_POOL_SIZE: '10', ENGINE_INGEST_STREAMS_PER_PRINCIPAL: '12' },
    });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    ingest = createIngestServiceClient({ address: engine.address, token: engine.token });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: 'name: limits-stream\nsource: { kind: grpc }\n',
      baseDir: '',
    });
    jobId = job.job?.id as string;
  }, 60_000);
  afterAll(async () => {
    for (const s of streams) s.call.cancel();
    jobs?.close();
    ingest?.close();
    await engine?.stop();
    await db?.drop();
  });

  it('keeps serving other callers while twelve streams sit idle, holding no database connection', async () => {
    for (let i = 0; i < 12; i++) {
      const s = new IngestStream(ingest);
      streams.push(s);
      expect((await s.ask({ open: { jobId, streamId: `idle-${i}` } })).opened?.run?.status).toBe(
        RunStatus.RUN_STATUS_RUNNING,
      );
    }
    // more than the pool's ten connections of idle streams, and every other call still answers
    for (let i = 0; i < 20; i++) {
      const listed = await unaryCall<ListJobsRequest, ListJobsResponse>(jobs, jobs.listJobs, {
        pageSize: 10,
        pageToken: '',
        jobIds: [],
      });
      expect(listed.jobs.map((j) => j.name)).toContain('limits-stream');
    }
    const [{ n }] = await querySql<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'strongroom-engine' AND state <> 'idle'`,
    );
    expect(n).toBeLessThanOrEqual(1); // the shared lock connection at most (idle in its last statement)
    // the idle streams still work: each commits a batch and completes
    for (const [i, s] of streams.entries()) {
      expect((await s.ask({ batch: { idempotencyKey: 'b1', records: [record(i)] } })).ack?.accepted).toBe(1);
      expect((await s.ask({ complete: {} })).completed?.run?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    }
    streams.length = 0;
  }, 60_000);

  it('caps open streams per caller (RESOURCE_EXHAUSTED) and not for another caller', async () => {
    for (let i = 0; i < 12; i++) {
      const s = new IngestStream(ingest);
      streams.push(s);
      await s.ask({ open: { jobId, streamId: `cap-${i}` } });
    }
    const thirteenth = new IngestStream(ingest);
    const refused = await thirteenth.ended();
    expect(codeOf(refused)).toEqual({ grpc: status.RESOURCE_EXHAUSTED, code: 'RESOURCE_EXHAUSTED' });
    expect(refused.message).toMatch(/user:test-admin already has 12 open ingest streams \(the limit is 12\)/);
    const other = createIngestServiceClient({
      address: engine.address,
      token: testToken('feed-b', ['operator']),
    });
    try {
      const s = new IngestStream(other);
      expect((await s.ask({ open: { jobId, streamId: 'other-caller' } })).opened?.run?.status).toBe(
        RunStatus.RUN_STATUS_RUNNING,
      );
      s.call.end();
    } finally {
      other.close();
    }
    // a closed stream frees its place
    streams.pop()?.call.cancel();
    await new Promise((r) => setTimeout(r, 300));
    const again = new IngestStream(ingest);
    streams.push(again);
    expect((await again.ask({ open: { jobId, streamId: 'cap-again' } })).opened).toBeDefined();
    for (const s of streams) s.call.cancel();
    streams.length = 0;
  }, 60_000);

  it('refuses a message over the 4 MiB limit', async () => {
    const big = createIngestServiceClient({ address: engine.address, token: testToken('big-feed', ['operator']) });
    try {
      const s = new IngestStream(big);
      await s.ask({ open: { jobId, streamId: 'big' } });
      const records = Array.from({ length: 3000 }, (_, k) => record(100_000 + k, 'x'.repeat(1500)));
      await expect(s.ask({ batch: { idempotencyKey: 'huge', records } })).rejects.toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
      });
    } finally {
      big.close();
    }
  });
});

describe('ingest idle timeout (real engine)', () => {
  const dir = makeTempDir();
  let db: TestDatabase;
  let engine: EngineProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${dir}/home`, ENGINE_INGEST_IDLE_TIMEOUT_MS: '1000' },
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  it('ends a stream that sends nothing, and the same stream_id continues its run afterwards', async () => {
    const jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    const ingest = createIngestServiceClient({ address: engine.address, token: engine.token });
    try {
      const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
        definition: 'name: idle-stream\nsource: { kind: grpc }\n',
        baseDir: '',
      });
      const s = new IngestStream(ingest);
      const opened = await s.ask({ open: { jobId: job.job?.id as string, streamId: 'sleepy' } });
      await s.ask({ batch: { idempotencyKey: 'b1', records: [record(1)] } });
      const ended = await s.ended();
      expect(codeOf(ended)).toEqual({ grpc: status.DEADLINE_EXCEEDED, code: 'DEADLINE_EXCEEDED' });
      expect(ended.message).toMatch(/sent nothing for 1 s and was closed; reopen it with the same stream_id/);
      const again = new IngestStream(ingest);
      const reopened = await again.ask({ open: { jobId: job.job?.id as string, streamId: 'sleepy' } });
      expect(reopened.opened).toMatchObject({ resumed: true, run: { id: opened.opened?.run?.id } });
      expect((await again.ask({ complete: {} })).completed?.run).toMatchObject({ read: 1, loaded: 1 });
    } finally {
      jobs.close();
      ingest.close();
    }
  }, 60_000);
});
