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
  type GetChainStatusRequest,
  type GetChainStatusResponse,
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
        newestFirst: false,
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
    // newest first, paging on towards the genesis; a token of one order is refused in the other
    const newest = await list({ newestFirst: true });
    expect(newest.entries[0]).toMatchObject({ seq: 2, action: 'job:changed' });
    const older = await list({ newestFirst: true, pageToken: newest.nextPageToken });
    expect(older.entries[0]).toMatchObject({ seq: 1, action: 'job:defined' });
    expect(older.nextPageToken).toBe('');
    await expect(list({ pageToken: newest.nextPageToken })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
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
    // the incremental verification before it was recorded in the chain: entry 3
    expect(full).toMatchObject({ ok: true, entries: 3, lastSeq: 3 });
    await expect(
      unaryCall<VerifyRequest, VerifyResponse>(audit, audit.verify, {
        incremental: false,
        checkpointJson: '{"not":"a checkpoint"}',
      }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it('gives the chain at a glance: its head, its latest signed checkpoint and its latest verification', async () => {
    const status1 = await unaryCall<GetChainStatusRequest, GetChainStatusResponse>(audit, audit.getChainStatus, {});
    // entries 1-2 (the job), 3 and 4 (the two verifications above); the checkpoint was signed at 2
    expect(status1).toMatchObject({ entries: 4, lastCheckpoint: { seq: 2 } });
    expect(status1.headHash).toMatch(/^[0-9a-f]{64}$/);
    expect(status1.headAt).toBeInstanceOf(Date);
    expect(status1.lastVerification).toMatchObject({ ok: true, entries: 3, trustedThroughSeq: 0, firstBadSeq: 0 });
    expect(status1.lastVerification?.actor).toMatch(/^user:/);
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken('carol', ['auditor'])}`);
    await unaryCall<VerifyRequest, VerifyResponse>(
      audit,
      audit.verify,
      { incremental: true, checkpointJson: '' },
      10_000,
      md,
    );
    const status2 = await unaryCall<GetChainStatusRequest, GetChainStatusResponse>(audit, audit.getChainStatus, {});
    expect(status2.entries).toBe(5);
    expect(status2.lastVerification).toMatchObject({ actor: 'user:carol', ok: true, entries: 2, trustedThroughSeq: 2 });
    // a viewer may not look
    const viewer = new Metadata();
    viewer.set('authorization', `Bearer ${testToken('vic', ['viewer'])}`);
    await expect(
      unaryCall<GetChainStatusRequest, GetChainStatusResponse>(audit, audit.getChainStatus, {}, 10_000, viewer),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });
});
