import { status } from '@grpc/grpc-js';
import { Client } from 'pg';
import {
  createIngestServiceClient,
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type IngestRecord,
  type IngestResponse,
  type IngestServiceClient,
  type JobServiceClient,
} from '@strongroom/contract';
import {
  createTestDatabase,
  IngestStream,
  makeTempDir,
  startEngineProcess,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const Stream = IngestStream;

const record = (n: number): IngestRecord => ({
  txnId: `S-${n}`,
  account: `ACC${n % 97}`,
  counterpartyAccount: '',
  counterpartyName: n % 5 === 0 ? 'Zoë Müller' : 'Acme',
  amount: `${n % 10_000}.${String(n % 100).padStart(2, '0')}`,
  currency: n % 997 === 0 ? 'XXQ' : n % 3 === 0 ? 'USD' : 'EUR', // 1 in 997 invalid
  bookedAt: '2026-11-01T10:00:00Z',
  valueDate: '',
  reference: n % 7 === 0 ? 'card 4111 1111 1111 1111' : '',
  cardPan: '',
});
const batch = (i: number, size = 1000) => ({
  batch: { idempotencyKey: `b-${i}`, records: Array.from({ length: size }, (_, k) => record(i * size + k + 1)) },
});

describe('IngestService (real engine): streamed batches, lost acks, reconnects', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let ingest: IngestServiceClient;
  let jobId: string;
  const dir = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    ingest = createIngestServiceClient({ address: engine.address, token: engine.token });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: 'name: payments-stream\nsource: { kind: grpc, system: payments-api }\n',
      baseDir: '',
    });
    jobId = job.job?.id as string;
  });
  afterAll(async () => {
    jobs?.close();
    ingest?.close();
    await engine?.stop();
    await db?.drop();
  });

  it('loads 100k streamed records exactly once although batches are re-sent after lost acks and a reconnect', async () => {
    let s = new Stream(ingest);
    const opened = await s.ask({ open: { jobId, streamId: 'feed-2026-11-28' } });
    expect(opened.opened).toMatchObject({ resumed: false, run: { status: RunStatus.RUN_STATUS_RUNNING } });
    const runId = opened.opened?.run?.id as string;
    for (let i = 0; i < 40; i++)
      expect((await s.ask(batch(i))).ack).toMatchObject({ idempotencyKey: `b-${i}`, duplicate: false });

    // the connection drops right after batch 40 was sent: its ack is lost
    s.send(batch(40));
    await new Promise((r) => setTimeout(r, 50));
    s.call.cancel();
    // reopen like a real client: UNAVAILABLE (the old connection's batch is still settling) means retry
    let reopened: IngestResponse | undefined;
    for (let attempt = 0; !reopened; attempt++) {
      s = new Stream(ingest);
      try {
        reopened = await s.ask({ open: { jobId, streamId: 'feed-2026-11-28' } });
      } catch (err) {
        if ((err as { code?: number }).code !== status.UNAVAILABLE || attempt > 150) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(reopened.opened).toMatchObject({ resumed: true, run: { id: runId } });
    const resent = (await s.ask(batch(40))).ack;
    expect(resent?.idempotencyKey).toBe('b-40'); // committed before the drop (duplicate) or now — never twice

    for (let i = 41; i < 100; i++) {
      const ack = (await s.ask(batch(i))).ack;
      expect(ack?.duplicate).toBe(false);
      if (i === 70) {
        // an ack that never arrived on the client side: the client sends the batch again
        const again = (await s.ask(batch(70))).ack;
        expect(again).toMatchObject({ duplicate: true, accepted: ack?.accepted, batchSeq: ack?.batchSeq });
        expect(again?.loaded).toBe(ack?.loaded);
      }
    }
    const done = await s.ask({ complete: {} });
    s.call.end();
    const run = done.completed?.run;
    const invalid = Array.from({ length: 100_000 }, (_, k) => k + 1).filter((n) => n % 997 === 0).length;
    expect(run).toMatchObject({
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      read: 100_000,
      loaded: 100_000 - invalid,
      deadLettered: invalid,
      filtered: 0,
    });
    expect(run?.reconciliation?.reconciled).toBe(true);

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query(
        `SELECT count(*)::int AS n, count(DISTINCT txn_id)::int AS keys,
                (SELECT count(*)::int FROM transactions_published WHERE run_id = $1) AS published,
                (SELECT count(*)::int FROM transactions WHERE run_id = $1 AND reference ~ '4111111111111111') AS clear_pans
           FROM transactions WHERE run_id = $1`,
        [runId],
      );
      expect(rows[0]).toEqual({
        n: 100_000 - invalid,
        keys: 100_000 - invalid,
        published: 100_000 - invalid,
        clear_pans: 0,
      });
    } finally {
      await pg.end();
    }
  }, 180_000);

  it('numbers records in order when batches arrive without waiting for acks, a re-send among them', async () => {
    const size = 300;
    const piped = (i: number) => ({
      batch: {
        idempotencyKey: `p-${i}`,
        records: Array.from({ length: size }, (_, k) => ({
          ...record(i * size + k + 1),
          txnId: `P-${i * size + k + 1}`,
        })),
      },
    });
    const s = new Stream(ingest);
    const runId = (await s.ask({ open: { jobId, streamId: 'pipelined' } })).opened?.run?.id as string;
    // mapped ahead while the one before commits: p-2 is mapped as if the re-sent p-1 added records
    for (const i of [0, 1, 1, 2, 3]) s.send(piped(i));
    const acks = [];
    for (let k = 0; k < 5; k++) acks.push((await s.next()).ack);
    expect(acks.map((a) => [a?.idempotencyKey, a?.duplicate])).toEqual([
      ['p-0', false],
      ['p-1', false],
      ['p-1', true],
      ['p-2', false],
      ['p-3', false],
    ]);
    const done = await s.ask({ complete: {} });
    s.call.end();
    expect(done.completed?.run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 4 * size });
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      // every row's record number is its place in the stream (txn P-n is record n)
      const { rows } = await pg.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE source_record_no = substr(txn_id, 3)::bigint)::int AS in_place
           FROM transactions WHERE run_id = $1`,
        [runId],
      );
      const invalid = Array.from({ length: 4 * size }, (_, k) => k + 1).filter((n) => n % 997 === 0).length;
      expect(rows[0]).toEqual({ n: 4 * size - invalid, in_place: 4 * size - invalid });
    } finally {
      await pg.end();
    }
  });

  it('commits batches that queue while another commits in one transaction, each acked as itself (group commit)', async () => {
    const size = 500;
    const queued = (i: number) => ({
      batch: {
        idempotencyKey: `q-${i}`,
        records: Array.from({ length: size }, (_, k) => ({
          ...record(i * size + k + 1),
          txnId: `Q-${i * size + k + 1}`,
        })),
      },
    });
    const s = new Stream(ingest);
    const runId = (await s.ask({ open: { jobId, streamId: 'grouped' } })).opened?.run?.id as string;
    for (let i = 0; i < 8; i++) s.send(queued(i));
    const acks = [];
    for (let k = 0; k < 8; k++) acks.push((await s.next()).ack);
    const invalidBefore = (n: number) => Math.floor(n / 997); // record n is invalid when n % 997 === 0
    expect(acks.map((a) => [a?.idempotencyKey, a?.batchSeq, a?.duplicate, a?.read])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`q-${i}`, i + 1, false, (i + 1) * size]),
    );
    expect(acks.map((a) => a?.loaded)).toEqual(
      Array.from({ length: 8 }, (_, i) => (i + 1) * size - invalidBefore((i + 1) * size)),
    );
    const done = await s.ask({ complete: {} });
    s.call.end();
    expect(done.completed?.run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 8 * size });
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query(
        `SELECT (subject->>'batchSeq')::int AS seq, coalesce((details->>'groupSize')::int, 1) AS size
           FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1 ORDER BY seq`,
        [runId],
      );
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // batches that arrive while one commits wait, mapped, and commit together
      expect(rows.some((r) => r.size > 1)).toBe(true);
      const sink = await pg.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE source_record_no = substr(txn_id, 3)::bigint)::int AS in_place
           FROM transactions WHERE run_id = $1`,
        [runId],
      );
      expect(sink.rows[0]).toEqual({
        n: 8 * size - invalidBefore(8 * size),
        in_place: 8 * size - invalidBefore(8 * size),
      });
    } finally {
      await pg.end();
    }
  });

  it('answers every batch sent before the client half-closes, then ends the call', async () => {
    const s = new Stream(ingest);
    await s.ask({ open: { jobId, streamId: 'half-closed' } });
    const sized = (i: number) => ({
      batch: {
        idempotencyKey: `h-${i}`,
        records: Array.from({ length: 200 }, (_, k) => ({ ...record(k + 1), txnId: `H-${i}-${k}` })),
      },
    });
    for (const i of [0, 1, 2]) s.send(sized(i));
    s.call.end(); // no complete: the run stays open
    const ended = new Promise<undefined>((resolve) => s.call.once('end', () => resolve(undefined)));
    const acks = [];
    for (let k = 0; k < 3; k++) acks.push((await Promise.race([s.next(), ended]))?.ack?.idempotencyKey);
    expect(acks).toEqual(['h-0', 'h-1', 'h-2']);
    await ended;
  });

  it('refuses batches before open, unknown jobs, file jobs, and a completed stream', async () => {
    const s = new Stream(ingest);
    await expect(s.ask(batch(0, 1))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    const t = new Stream(ingest);
    await expect(
      t.ask({ open: { jobId: '00000000-0000-4000-8000-000000000000', streamId: 'x' } }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    const u = new Stream(ingest);
    await expect(u.ask({ open: { jobId, streamId: 'feed-2026-11-28' } })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining('completed already'),
    });
    const fileJob = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition:
        'name: a-file-job\nsource: { kind: csv, path: /tmp/none.csv, mapping: { txn_id: a, account: b, amount: c, currency: d, booked_at: e } }\n',
      baseDir: '',
    });
    const v = new Stream(ingest);
    await expect(v.ask({ open: { jobId: fileJob.job?.id as string, streamId: 'y' } })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining('needs source kind "grpc"'),
    });
  });
});
