import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import { status } from '@grpc/grpc-js';
import {
  createIngestServiceClient,
  createJobServiceClient,
  createOpsServiceClient,
  type IngestRecord,
  type IngestResponse,
  PartitionState,
  RunStatus,
  type ListReplicasRequest,
  type ListReplicasResponse,
  type ListRunPartitionsRequest,
  type ListRunPartitionsResponse,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { sqlExec } from '@strongroom/db';
import {
  createTestDatabase,
  fakeClockAvailable,
  IngestStream,
  makeTempDir,
  startEngineProcess,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

/**
 * Scale-out: three engine replicas on one database share a CSV run cut into partitions. One is killed
 * (SIGKILL) while it holds a partition, another frozen (SIGSTOP) past its lease and then thawed: the run
 * completes by itself — nobody resumes it — with every record loaded once, exact per-currency sums, the
 * frozen replica's late batch fenced and no batch committed under a superseded lease epoch.
 */
// enough that the replicas polling for work (every third of a lease) find partitions left, however fast one is
const ROWS = 300_000;
const TTL_MS = 3000;

/** A CSV with multi-line quoted memos (a partition must never start inside one) and its exact sums in minor units. */
function writeFile(file: string, rows = ROWS): Map<string, bigint> {
  const ccys = ['EUR', 'USD', 'JPY', 'CHF'];
  const sums = new Map<string, bigint>();
  const lines = ['id,acct,amt,ccy,ts,memo'];
  for (let i = 0; i < rows; i++) {
    const ccy = ccys[i % ccys.length] as string;
    const cents = BigInt((i * 7919) % 1_000_000) - 300_000n;
    const amt =
      ccy === 'JPY'
        ? `${cents}`
        : `${cents < 0n ? '-' : ''}${(cents < 0n ? -cents : cents) / 100n}.${String((cents < 0n ? -cents : cents) % 100n).padStart(2, '0')}`;
    sums.set(ccy, (sums.get(ccy) ?? 0n) + (ccy === 'JPY' ? cents * 100n : cents));
    const memo = i % 10 === 0 ? `"invoice ${i}\nsecond line, ""quoted"""` : `inv ${i}`;
    lines.push(`s${i},ACC${i % 97},${amt},${ccy},2026-01-0${1 + (i % 9)}T10:00:00Z,${memo}`);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return sums;
}

describe('engine replicas sharing a run through partition leases (real processes, SIGKILL and SIGSTOP)', () => {
  let db: TestDatabase;
  let pg: Client;
  const dir = makeTempDir();
  const engines = new Map<string, EngineProcess>();

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  // each case has its own replicas: the ones of a case before would join the next one's runs
  afterEach(async () => {
    for (const e of engines.values()) {
      e.child.kill('SIGCONT');
      await e.stop();
    }
    engines.clear();
  });
  afterAll(async () => {
    await pg.end();
    await db.drop();
  });

  const start = async (id: string, extra: { env?: Record<string, string>; clockOffset?: string } = {}) => {
    const engine = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home-${id}`,
        ENGINE_REPLICA_ID: id,
        ENGINE_LEASE_TTL_MS: String(TTL_MS),
        STRONGROOM_PARTITION_BYTES: String(512 * 1024),
        ...extra.env,
      },
      ...(extra.clockOffset ? { clockOffset: extra.clockOffset } : {}),
    });
    engines.set(id, engine);
    return engine;
  };
  const owned = async (runId: string, owner: string) =>
    (
      await pg.query(
        `SELECT partition_no FROM run_checkpoints WHERE run_id = $1 AND owner = $2 AND NOT done AND batch_seq > 0`,
        [runId, owner],
      )
    ).rows.map((r) => r.partition_no as number);
  /** What the database says when a wait times out: the runs, their partitions and the sessions. */
  const diagnose = async () =>
    JSON.stringify(
      {
        runs: (await pg.query(`SELECT status, records_read, error_code, error_message FROM job_runs`)).rows,
        partitions: (
          await pg.query(
            `SELECT partition_no, owner, lease_epoch, lease_expires_at < clock_timestamp() AS expired, done, batch_seq
               FROM run_checkpoints ORDER BY partition_no`,
          )
        ).rows,
        sessions: (
          await pg.query(
            `SELECT state, wait_event, now() - state_change AS since, left(query, 80) AS query
               FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
          )
        ).rows,
      },
      null,
      1,
    );
  const until = async (what: string, check: () => Promise<boolean>, ms = 90_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}: ${await diagnose()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /** Defines a job over `file` and runs it through `engine`; returns the client and the run id. */
  const submit = async (engine: EngineProcess, name: string, file: string) => {
    const client: JobServiceClient = createJobServiceClient({ address: engine.address, token: engine.token });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, {
      definition: `name: ${name}\nsource:\n  kind: csv\n  path: ${file}\n  system: ${name}\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts, reference: memo }\nbatching: { minSize: 500, maxSize: 500 }\n`,
      baseDir: '',
    });
    const { run } = await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, {
      jobId: job.job?.id ?? '',
      file: '',
    });
    return { client, runId: run?.id as string };
  };
  /** The run once it ended: SUCCEEDED with every record loaded once and the file's exact sums. */
  const expectLoadedOnce = async (client: JobServiceClient, runId: string, rows: number, sums: Map<string, bigint>) => {
    let done: GetRunResponse['run'];
    await until(
      'the run ends',
      async () => {
        done = (await unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId })).run;
        return done?.status === RunStatus.RUN_STATUS_SUCCEEDED || done?.status === RunStatus.RUN_STATUS_FAILED;
      },
      180_000,
    );
    expect(done).toMatchObject({ errorMessage: '', status: RunStatus.RUN_STATUS_SUCCEEDED, read: rows, loaded: rows });
    const [{ n, distinct }] = (
      await pg.query(
        `SELECT count(*)::int AS n, count(DISTINCT txn_id)::int AS distinct FROM transactions WHERE run_id = $1`,
        [runId],
      )
    ).rows;
    expect({ n, distinct }).toEqual({ n: rows, distinct: rows });
    const sink = (
      await pg.query(
        `SELECT currency, (sum(amount) * 100)::numeric(30,0)::text AS minor FROM transactions WHERE run_id = $1 GROUP BY currency`,
        [runId],
      )
    ).rows;
    expect(new Map(sink.map((r) => [r.currency as string, BigInt(r.minor)]))).toEqual(sums);
    expect((await verifyChain(sqlExec(pg))).ok).toBe(true);
  };
  const audited = async (runId: string, action: string) =>
    (
      await pg.query(
        `SELECT actor, details FROM immutable_audit_log WHERE action = $1 AND subject->>'runId' = $2 ORDER BY seq`,
        [action, runId],
      )
    ).rows as { actor: string; details: Record<string, unknown> }[];

  it('starts and finishes a run whose planning replica died before starting it and whose finalizing replica died before ending it', async () => {
    const file = path.join(dir, 'orphan.csv');
    const sums = writeFile(file, 30_000);
    // the planner dies after its plan, before the run is RUNNING; the next one dies as it finalizes
    const planner = await start('planner', { env: { STRONGROOM_TEST_CRASH_AT: 'run:planned@1' } });
    await start('finalizer', { env: { STRONGROOM_TEST_CRASH_AT: 'run:finalizing@1' } });
    const { client, runId } = await submit(planner, 'orphan', file);
    await until(
      'the planning replica is gone',
      async () => planner.child.exitCode !== null || planner.child.signalCode !== null,
    );
    const finalizer = engines.get('finalizer') as EngineProcess;
    await until(
      'the finalizing replica is gone',
      async () => finalizer.child.exitCode !== null || finalizer.child.signalCode !== null,
    );
    // every partition is done and the run still RUNNING: a replica that starts now ends it, unasked
    const [state] = (await pg.query(`SELECT status FROM job_runs WHERE id = $1`, [runId])).rows;
    expect(state).toEqual({ status: 'RUNNING' });
    const last = await start('last');
    const lastClient = createJobServiceClient({ address: last.address, token: last.token });
    try {
      await expectLoadedOnce(lastClient, runId, 30_000, sums);
      expect((await audited(runId, 'run:started')).map((e) => e.actor)).toEqual(['service:engine']); // started once
      const [{ finalized_by }] = (
        await pg.query(
          `SELECT details->>'replica' AS finalized_by FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1 ORDER BY seq DESC LIMIT 1`,
          [runId],
        )
      ).rows;
      expect(finalized_by).toBe('finalizer'); // the one that died loaded it all, and its batches stand
      // the run's rate is over its whole time, not over the late finalizer's moment
      const [m] = (
        await pg.query(
          `SELECT p.records_per_second::float8 AS rate,
                  r.records_read / extract(epoch FROM r.finished_at - r.started_at)::float8 AS whole
             FROM performance_metrics p JOIN job_runs r ON r.id = p.run_id WHERE p.run_id = $1`,
          [runId],
        )
      ).rows;
      expect(m.rate).toBeGreaterThan(m.whole * 0.8);
      expect(m.rate).toBeLessThan(m.whole * 1.25);
    } finally {
      client.close();
      lastClient.close();
    }
  }, 180_000);

  (fakeClockAvailable() ? it : it.skip)(
    'shares a run with a replica whose clock is an hour ahead, without a single takeover (leases live on the database clock)',
    async () => {
      const file = path.join(dir, 'skew.csv');
      // long enough that the second replica's poll (every third of a lease, 1 s) finds partitions left: 60,000
      // rows took 1.1 s on one replica and, on a loaded machine, ended before it looked
      const rows = 240_000;
      const sums = writeFile(file, rows);
      const steady = await start('steady');
      await start('ahead', { clockOffset: '+1h' });
      const { client, runId } = await submit(steady, 'skew', file);
      try {
        await expectLoadedOnce(client, runId, rows, sums);
        const replicas = (
          await pg.query(
            `SELECT DISTINCT details->>'replica' AS r FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1`,
            [runId],
          )
        ).rows.map((r) => r.r);
        expect(replicas.sort()).toEqual(['ahead', 'steady']); // both worked on it
        expect(await audited(runId, 'partition:taken_over')).toEqual([]);
        expect(await audited(runId, 'partition:batch_fenced')).toEqual([]);
        const [{ epochs }] = (
          await pg.query(`SELECT max(lease_epoch)::int AS epochs FROM run_checkpoints WHERE run_id = $1`, [runId])
        ).rows;
        expect(epochs).toBe(1); // every partition claimed once
      } finally {
        client.close();
      }
    },
    180_000,
  );

  it('takes an ingest stream over on another replica when its engine dies: the client reopens its stream_id there', async () => {
    const a = await start('stream-a');
    const b = await start('stream-b');
    const jobs = createJobServiceClient({ address: a.address, token: a.token });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: 'name: failover-stream\nsource: { kind: grpc, system: failover-api }\n',
      baseDir: '',
    });
    jobs.close();
    const jobId = job.job?.id as string;
    const record = (n: number): IngestRecord => ({
      txnId: `F-${n}`,
      account: `ACC${n % 13}`,
      counterpartyAccount: '',
      counterpartyName: 'Acme',
      amount: `${n}.${String(n % 100).padStart(2, '0')}`,
      currency: 'EUR',
      bookedAt: '2026-11-01T10:00:00Z',
      valueDate: '',
      reference: '',
      cardPan: '',
    });
    const batch = (i: number) => ({
      batch: { idempotencyKey: `f-${i}`, records: Array.from({ length: 500 }, (_, k) => record(i * 500 + k + 1)) },
    });
    const onA = createIngestServiceClient({ address: a.address, token: a.token });
    const first = new IngestStream(onA);
    const opened = await first.ask({ open: { jobId, streamId: 'failover-feed' } });
    const runId = opened.opened?.run?.id as string;
    for (let i = 0; i < 10; i++) expect((await first.ask(batch(i))).ack?.duplicate).toBe(false);
    first.send(batch(10)); // its ack will never come: the engine dies
    await new Promise((r) => setTimeout(r, 30));
    a.child.kill('SIGKILL');
    onA.close();

    // the client reopens the same stream on the other replica (UNAVAILABLE while the dead session ends: retry)
    const onB = createIngestServiceClient({ address: b.address, token: b.token });
    try {
      let stream: IngestStream | undefined;
      let reopened: IngestResponse | undefined;
      for (let attempt = 0; !reopened; attempt++) {
        stream = new IngestStream(onB);
        try {
          reopened = await stream.ask({ open: { jobId, streamId: 'failover-feed' } });
        } catch (err) {
          if ((err as { code?: number }).code !== status.UNAVAILABLE || attempt > 150) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(reopened.opened).toMatchObject({ resumed: true, run: { id: runId } });
      const s2 = stream as IngestStream;
      expect((await s2.ask(batch(10))).ack?.idempotencyKey).toBe('f-10'); // committed before the kill, or now: once
      for (let i = 11; i < 20; i++) expect((await s2.ask(batch(i))).ack?.duplicate).toBe(false);
      const done = await s2.ask({ complete: {} });
      s2.call.end();
      expect(done.completed?.run).toMatchObject({
        status: RunStatus.RUN_STATUS_SUCCEEDED,
        read: 10_000,
        loaded: 10_000,
      });
      const [{ n, keys }] = (
        await pg.query(
          `SELECT count(*)::int AS n, count(DISTINCT txn_id)::int AS keys FROM transactions WHERE run_id = $1`,
          [runId],
        )
      ).rows;
      expect({ n, keys }).toEqual({ n: 10_000, keys: 10_000 });
      expect((await verifyChain(sqlExec(pg))).ok).toBe(true);
    } finally {
      onB.close();
    }
  }, 180_000);

  it('completes a run by itself after one replica is killed and another frozen past its lease', async () => {
    const file = path.join(dir, 'shared.csv');
    const sums = writeFile(file);
    const a = await start('replica-a');
    await start('replica-b');
    await start('replica-c');
    const client: JobServiceClient = createJobServiceClient({ address: a.address, token: a.token });
    try {
      const job = await unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, {
        definition: `name: shared
source:
  kind: csv
  path: ${file}
  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts, reference: memo }
batching: { minSize: 500, maxSize: 500 }
`,
        baseDir: '',
      });
      const { run } = await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, {
        jobId: job.job?.id ?? '',
        file: '',
      });
      const runId = run?.id as string;

      /** Freezes the replica while it holds a partition it has committed to (looked at once it is frozen: it cannot
       * finish that partition in between); returns that partition. */
      const frozenHolding = async (id: string): Promise<number> => {
        const replica = engines.get(id) as EngineProcess;
        for (;;) {
          await until(`${id} works on a partition`, async () => (await owned(runId, id)).length > 0);
          replica.child.kill('SIGSTOP');
          const [held] = await owned(runId, id);
          if (held !== undefined) return held;
          replica.child.kill('SIGCONT');
        }
      };
      // B is killed while it holds a partition it has committed to
      await frozenHolding('replica-b');
      engines.get('replica-b')?.child.kill('SIGKILL');
      // C is frozen while it holds one, until another replica has taken that partition over
      const partition = await frozenHolding('replica-c');
      const frozen = engines.get('replica-c') as EngineProcess;
      const takenOver = async () => {
        const [p] = (
          await pg.query(`SELECT owner FROM run_checkpoints WHERE run_id = $1 AND partition_no = $2`, [
            runId,
            partition,
          ])
        ).rows;
        return p?.owner !== 'replica-c';
      };
      // frozen anywhere — even in the middle of a COPY message, where PostgreSQL holds a cancel back and
      // statement_timeout cannot end its batch — its partition is taken over: a replica that finds the row
      // still locked a whole lease after expiry ends the frozen batch worker's session
      await until("the frozen replica's partition is taken over", takenOver, 60_000);
      frozen.child.kill('SIGCONT');

      // nobody resumes it: the live replicas finish it
      let done: GetRunResponse['run'];
      await until(
        'the run ends',
        async () => {
          done = (await unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId })).run;
          return done?.status === RunStatus.RUN_STATUS_SUCCEEDED || done?.status === RunStatus.RUN_STATUS_FAILED;
        },
        180_000,
      );
      expect(done).toMatchObject({
        errorMessage: '',
        status: RunStatus.RUN_STATUS_SUCCEEDED,
        read: ROWS,
        loaded: ROWS,
        reconciliation: { reconciled: true },
      });

      // every record once, exact sums per currency (minor units, no floating point)
      const [{ n, distinct }] = (
        await pg.query(
          `SELECT count(*)::int AS n, count(DISTINCT txn_id)::int AS distinct FROM transactions WHERE run_id = $1`,
          [runId],
        )
      ).rows;
      expect({ n, distinct }).toEqual({ n: ROWS, distinct: ROWS });
      const sink = (
        await pg.query(
          `SELECT currency, (sum(amount) * 100)::numeric(30,0)::text AS minor FROM transactions WHERE run_id = $1 GROUP BY currency`,
          [runId],
        )
      ).rows;
      expect(new Map(sink.map((r) => [r.currency as string, BigInt(r.minor)]))).toEqual(sums);

      // the partitions: all done, more than one replica worked, takeovers happened, the late batch was fenced
      const parts = (
        await pg.query(
          `SELECT partition_no, lease_epoch::int AS epoch, fenced_batches FROM run_checkpoints WHERE run_id = $1 AND done`,
          [runId],
        )
      ).rows;
      expect(parts.length).toBeGreaterThan(4);
      expect(parts.reduce((s, p) => s + Number(p.fenced_batches), 0)).toBeGreaterThanOrEqual(1);
      const takeovers = (
        await pg.query(
          `SELECT details->>'previousOwner' AS prev FROM immutable_audit_log WHERE action = 'partition:taken_over' AND subject->>'runId' = $1`,
          [runId],
        )
      ).rows.map((r) => r.prev);
      expect(takeovers).toEqual(expect.arrayContaining(['replica-b', 'replica-c']));
      // no batch committed under a superseded epoch: per partition, in commit order, the epoch never goes back
      const batches = (
        await pg.query(
          `SELECT partition_no, lease_epoch::int AS epoch FROM transaction_integrity
            WHERE run_id = $1 AND scope = 'BATCH' ORDER BY batch_seq`,
          [runId],
        )
      ).rows;
      const seen = new Map<number, number>();
      for (const b of batches) {
        expect(b.epoch).toBeGreaterThanOrEqual(seen.get(b.partition_no) ?? 0);
        seen.set(b.partition_no, b.epoch);
      }
      expect((await verifyChain(sqlExec(pg))).ok).toBe(true);

      // the same through gRPC: the run's partitions, and the replicas
      const { partitions } = await unaryCall<ListRunPartitionsRequest, ListRunPartitionsResponse>(
        client,
        client.listRunPartitions,
        { runId },
      );
      expect(partitions).toHaveLength(parts.length);
      expect(partitions.every((p) => p.state === PartitionState.PARTITION_STATE_DONE && p.owner === '')).toBe(true);
      expect(partitions.reduce((n, p) => n + p.read, 0)).toBe(ROWS);
      expect(partitions.reduce((n, p) => n + p.fencedBatches, 0)).toBeGreaterThanOrEqual(1);
      expect(partitions.map((p) => [p.startByte, p.endByte])).toEqual(
        partitions.map((p, i) => [i ? partitions[i - 1]?.endByte : 0, p.endByte]),
      );
      const ops = createOpsServiceClient({ address: a.address, token: a.token });
      try {
        const { replicas } = await unaryCall<ListReplicasRequest, ListReplicasResponse>(ops, ops.listReplicas, {
          includeStopped: true,
        });
        expect(replicas.map((r) => r.id)).toEqual(expect.arrayContaining(['replica-a', 'replica-b', 'replica-c']));
        expect(replicas.find((r) => r.id === 'replica-a')).toMatchObject({ live: true, address: a.address });
        expect(replicas.every((r) => r.partitionsHeld === 0 && r.runsHeld === 0)).toBe(true);
      } finally {
        ops.close();
      }
    } finally {
      client.close();
    }
  }, 300_000);
});
