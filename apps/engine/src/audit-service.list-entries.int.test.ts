import { Metadata, status } from '@grpc/grpc-js';
import {
  createAuditServiceClient,
  createJobServiceClient,
  type AuditServiceClient,
  type CreateJobRequest,
  type CreateJobResponse,
  type JobServiceClient,
  type ListEntriesRequest,
  type ListEntriesResponse,
  type VerifyRequest,
  type VerifyResponse,
} from '@strongroom/contract';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

describe('AuditService (real engine): entries with the caller, pagination, incremental verify', () => {
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
    await engine?.stop();
    await db?.drop();
  });

  it('records who defined and changed a job, and pages through the entries', async () => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken('alice')}`);
    const def = (ratio: string) => `name: audited\nsource: { kind: grpc }\nerrors: { maxRejectRatio: ${ratio} }\n`;
    await unaryCall<CreateJobRequest, CreateJobResponse>(
      jobs,
      jobs.createJob,
      { definition: def('0.1'), baseDir: '' },
      10_000,
      md,
    );
    await unaryCall<CreateJobRequest, CreateJobResponse>(
      jobs,
      jobs.createJob,
      { definition: def('0.1'), baseDir: '' },
      10_000,
      md,
    ); // unchanged: no entry
    await unaryCall<CreateJobRequest, CreateJobResponse>(
      jobs,
      jobs.createJob,
      { definition: def('0.2'), baseDir: '' },
      10_000,
      md,
    );
    const list = (req: Partial<ListEntriesRequest>) =>
      unaryCall<ListEntriesRequest, ListEntriesResponse>(audit, audit.listEntries, {
        action: '',
        pageSize: 1,
        pageToken: '',
        ...req,
      });
    const first = await list({});
    expect(first.entries).toHaveLength(1);
    expect(first.entries[0]).toMatchObject({ seq: 1, actor: 'user:alice', action: 'job:defined' });
    const second = await list({ pageToken: first.nextPageToken });
    expect(second.entries[0]).toMatchObject({ seq: 2, action: 'job:changed' });
    expect(JSON.parse(second.entries[0]?.detailsJson ?? '{}')).toMatchObject({ name: 'audited', version: 2 });
    expect(second.entries[0]?.prevHash).toBe(first.entries[0]?.hash);
    expect((await list({ action: 'job:changed', pageSize: 10 })).entries).toHaveLength(1);
    await expect(list({ pageToken: 'forged' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('verifies incrementally from the latest signed checkpoint', async () => {
    await unaryCall(audit, audit.createCheckpoint, {});
    const r = await unaryCall<VerifyRequest, VerifyResponse>(audit, audit.verify, {
      incremental: true,
      checkpointJson: '',
    });
    expect(r).toMatchObject({ ok: true, entries: 0, checkpointsChecked: 1 });
    const full = await unaryCall<VerifyRequest, VerifyResponse>(audit, audit.verify, {
      incremental: false,
      checkpointJson: '',
    });
    expect(full).toMatchObject({ ok: true, entries: 2, lastSeq: 2 });
    await expect(
      unaryCall<VerifyRequest, VerifyResponse>(audit, audit.verify, {
        incremental: false,
        checkpointJson: '{"not":"a checkpoint"}',
      }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });
});
