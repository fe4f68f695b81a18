import type { Socket } from 'node:net';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createDataSource, pgClientOf, runMigrations, type DataSource, type JobRunEntity } from '@strongroom/db';
import { createTestDatabase, makeTempDir, writeTempFile, type TestDatabase } from '@strongroom/testing';
import { createRun, getJob, parseJobDefinition, saveJob } from '../index';
import { commitBatch } from '../load/batch-commit';
import { prepareStaging } from '../load/batch-writer';
import {
  BATCH_WORKER_APPLICATION_NAME,
  claimPartition,
  endStuckHolders,
  finishPartition,
  releaseLease,
  renewLease,
  type PartitionLease,
} from './partition-lease';
import { markStarted, PartitionFencedError, RunPausedError, setPaused } from './run-status';
import { getRun } from './run-store';

const TTL = 60_000;

describe('partition leases', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let pg: Client;
  const dir = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 6 });
    await ds.initialize();
    await runMigrations(ds);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await ds.destroy();
    await db.drop();
  });

  /** A RUNNING run planned into `n` partitions of 100 bytes (the leases do not read the file). */
  async function runningRun(name: string, n: number): Promise<JobRunEntity> {
    const file = writeTempFile(dir, `${name}.csv`, `id,acct,amt,ccy,ts\n${name},A,1.00,EUR,2026-01-01\n`);
    const { job } = await saveJob(
      ds,
      parseJobDefinition(
        `name: ${name}\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }\n`,
      ),
    );
    const { run } = await createRun(ds, await getJob(ds, job.id));
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      const parts = Array.from({ length: n }, (_, i) => ({
        partitionNo: i,
        startByte: i * 100,
        endByte: (i + 1) * 100,
        recordsBefore: i * 10,
        sha256: '0'.repeat(64),
      }));
      await markStarted(pgClientOf(runner), run, 'service:engine', {}, parts);
    } finally {
      await runner.release();
    }
    return run;
  }

  const partitions = async (runId: string) =>
    (
      await pg.query(
        `SELECT partition_no AS no, owner, lease_epoch::int AS epoch, done, fenced_batches FROM run_checkpoints
          WHERE run_id = $1 ORDER BY partition_no`,
        [runId],
      )
    ).rows;

  it('gives each open partition to one owner at a time, bumping its epoch', async () => {
    const run = await runningRun('lease-a', 3);
    const a = (await claimPartition(ds, run, 'replica-a', TTL)) as PartitionLease;
    const b = (await claimPartition(ds, run, 'replica-b', TTL)) as PartitionLease;
    const c = (await claimPartition(ds, run, 'replica-c', TTL)) as PartitionLease;
    expect([a.partitionNo, b.partitionNo, c.partitionNo]).toEqual([0, 1, 2]);
    expect([a.epoch, b.epoch, c.epoch]).toEqual([1, 1, 1]);
    // a replica works on one partition of a run at a time: claiming again, it gets its own back (an
    // attempt of it that ended without giving the partition back), under a new epoch
    const own = (await claimPartition(ds, run, 'replica-c', TTL)) as PartitionLease;
    expect(own).toMatchObject({ partitionNo: 2, epoch: 2, previousOwner: 'replica-c' });
    expect(await renewLease(ds, c, TTL)).toBe(false);
    expect(b).toMatchObject({ startByte: 100, endByte: 200, recordsBefore: 10, byteOffset: 100, previousOwner: null });
    expect(await claimPartition(ds, run, 'replica-d', TTL)).toBeUndefined(); // all held, none expired
    expect(await renewLease(ds, a, TTL)).toBe(true);
    // a replica gives a partition back (pause, shutdown): anyone may claim it at once, under a new epoch
    await releaseLease(ds, a);
    const again = (await claimPartition(ds, run, 'replica-d', TTL)) as PartitionLease;
    expect(again).toMatchObject({ partitionNo: 0, epoch: 2 });
    expect(await renewLease(ds, a, TTL)).toBe(false);
    expect((await getRun(ds, run.id)).attempts).toBe(3); // the start, and each re-claim is another attempt
  });

  it('lets another replica take over an expired lease (by the database clock), fences the old owner and audits the takeover', async () => {
    const run = await runningRun('lease-b', 1);
    const old = (await claimPartition(ds, run, 'replica-a', 1)) as PartitionLease;
    await pg.query('SELECT pg_sleep(0.05)');
    const taken = (await claimPartition(ds, run, 'replica-b', TTL)) as PartitionLease;
    expect(taken).toMatchObject({ partitionNo: 0, epoch: 2, previousOwner: 'replica-a' });
    expect(await renewLease(ds, old, TTL)).toBe(false);
    expect(await finishPartition(ds, old)).toBeUndefined();
    const audit = (
      await pg.query(
        `SELECT actor, details FROM immutable_audit_log WHERE action = 'partition:taken_over' AND subject->>'runId' = $1`,
        [run.id],
      )
    ).rows;
    expect(audit).toEqual([
      {
        actor: 'service:engine',
        details: { owner: 'replica-b', epoch: 2, previousOwner: 'replica-a', fromByte: 0 },
      },
    ]);
    expect(await finishPartition(ds, taken)).toEqual({ last: true });
  });

  it('commits a batch only under the current lease: a superseded epoch is fenced and nothing of it lands', async () => {
    const run = await runningRun('lease-c', 2);
    const stale = (await claimPartition(ds, run, 'replica-a', 1)) as PartitionLease;
    await pg.query('SELECT pg_sleep(0.05)');
    const current = (await claimPartition(ds, run, 'replica-b', TTL)) as PartitionLease;
    expect(current).toMatchObject({ partitionNo: 0, epoch: 2 });
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await prepareStaging(pgClientOf(runner));
      const ctx = {
        runId: run.id,
        jobId: run.jobId,
        sourceSystem: 'lease-c',
        dataClassification: 'INTERNAL',
        actor: 'service:engine',
      };
      const batch = (lease: PartitionLease) => ({
        records: 3,
        firstRecordNo: 1,
        lastRecordNo: 3,
        position: 60,
        valid: [],
        rejected: [],
        filtered: { NOT_BOOKED: 3 },
        lease,
      });
      await expect(commitBatch(pgClientOf(runner), ctx, run, batch(stale))).rejects.toBeInstanceOf(
        PartitionFencedError,
      );
      expect(await getRun(ds, run.id)).toMatchObject({ recordsRead: '0', batchesCommitted: 0 });
      await commitBatch(pgClientOf(runner), ctx, run, batch(current));
      expect(current).toMatchObject({ byteOffset: 60, recordsRead: 3, batchSeq: 1 });
      expect(await getRun(ds, run.id)).toMatchObject({
        recordsRead: '3',
        recordsFiltered: '3',
        filteredByReason: { NOT_BOOKED: 3 },
        batchesCommitted: 1,
      });
      const [integrity] = (
        await pg.query(`SELECT partition_no, lease_epoch::int AS epoch FROM transaction_integrity WHERE run_id = $1`, [
          run.id,
        ])
      ).rows;
      expect(integrity).toEqual({ partition_no: 0, epoch: 2 });
      // a pause that committed first turns the next batch away (it is read again on resume)
      expect(await setPaused(ds, run, true, 'paused by operator', 'user:ops')).toBe(true);
      await expect(
        commitBatch(pgClientOf(runner), ctx, run, {
          ...batch(current),
          position: 90,
          firstRecordNo: 4,
          lastRecordNo: 6,
        }),
      ).rejects.toBeInstanceOf(RunPausedError);
      expect(await claimPartition(ds, run, 'replica-c', TTL)).toBeUndefined(); // a paused run gives out nothing
    } finally {
      await runner.release();
    }
  });

  it('skips a partition whose row a batch in flight has locked, even when its lease expired', async () => {
    const run = await runningRun('lease-d', 2);
    await claimPartition(ds, run, 'replica-a', TTL);
    await claimPartition(ds, run, 'replica-z', TTL);
    await pg.query(
      `UPDATE run_checkpoints SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE run_id = $1`,
      [run.id],
    );
    await pg.query('BEGIN');
    await pg.query('SELECT 1 FROM run_checkpoints WHERE run_id = $1 AND partition_no = 0 FOR UPDATE', [run.id]);
    try {
      expect(await claimPartition(ds, run, 'replica-b', TTL)).toMatchObject({ partitionNo: 1, epoch: 2 });
      expect(await claimPartition(ds, run, 'replica-c', TTL)).toBeUndefined();
    } finally {
      await pg.query('ROLLBACK');
    }
    expect(await claimPartition(ds, run, 'replica-c', TTL)).toMatchObject({ partitionNo: 0, epoch: 2 });
  });

  it('tells exactly one of the replicas ending the last partitions that it ended the run', async () => {
    const run = await runningRun('lease-e', 2);
    const a = (await claimPartition(ds, run, 'replica-a', TTL)) as PartitionLease;
    const b = (await claimPartition(ds, run, 'replica-b', TTL)) as PartitionLease;
    const ends = await Promise.all([finishPartition(ds, a), finishPartition(ds, b)]);
    expect(ends.map((e) => e?.last).sort()).toEqual([false, true]);
    expect((await partitions(run.id)).map((p) => [p.done, p.owner])).toEqual([
      [true, null],
      [true, null],
    ]);
  });
  it('ends a batch worker frozen in the middle of a COPY message that holds an expired partition, so it can be claimed', async () => {
    const run = await runningRun('lease-f', 1);
    await claimPartition(ds, run, 'replica-a', 1); // its lease runs out at once
    // the replica's batch session: it locks its partition row, starts the COPY of its rows, sends part of a
    // COPY data message — and its process freezes there
    const frozen = new Client({ connectionString: db.url, application_name: BATCH_WORKER_APPLICATION_NAME });
    frozen.on('error', () => undefined);
    await frozen.connect();
    const pid = Number((await frozen.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    await frozen.query('BEGIN');
    await frozen.query('SELECT 1 FROM run_checkpoints WHERE run_id = $1 AND partition_no = 0 FOR UPDATE', [run.id]);
    await frozen.query('CREATE TEMP TABLE frozen_copy (t text)');
    const copy = frozen.query(copyFrom('COPY frozen_copy (t) FROM STDIN'));
    copy.on('error', () => undefined);
    const state = async () =>
      (await pg.query(`SELECT state, query FROM pg_stat_activity WHERE pid = $1`, [pid])).rows[0] as
        { state: string; query: string } | undefined;
    while (!(await state())?.query.startsWith('COPY')) await pg.query('SELECT pg_sleep(0.02)');
    const header = Buffer.alloc(5);
    header.write('d', 0);
    header.writeInt32BE(4 + 1000, 1); // a CopyData message of 1,000 bytes, of which 10 arrive
    (frozen as unknown as { connection: { stream: Socket } }).connection.stream.write(
      Buffer.concat([header, Buffer.from('a,b,c,d,e,')]),
    );
    await pg.query('SELECT pg_sleep(0.2)');
    // a cancel waits for the message to be whole (so statement_timeout cannot end it either)
    await pg.query('SELECT pg_cancel_backend($1)', [pid]);
    await pg.query('SELECT pg_sleep(0.5)');
    expect(await state()).toMatchObject({ state: 'active' });
    expect(await claimPartition(ds, run, 'replica-b', TTL)).toBeUndefined();
    // the lease expired less than a whole TTL ago: its holder may still end by itself
    expect(await endStuckHolders(ds, run, 'replica-b', TTL)).toEqual([]);
    // a session that is not a batch worker is never ended, whatever it holds
    const other = await runningRun('lease-g', 1);
    await claimPartition(ds, other, 'replica-a', 1);
    const plain = new Client({ connectionString: db.url });
    await plain.connect();
    try {
      await plain.query('BEGIN');
      await plain.query('SELECT 1 FROM run_checkpoints WHERE run_id = $1 FOR UPDATE', [other.id]);
      await pg.query('SELECT pg_sleep(0.1)');
      expect(await endStuckHolders(ds, other, 'replica-b', 50)).toEqual([]);
    } finally {
      await plain.query('ROLLBACK');
      await plain.end();
    }
    // nor a batch worker that is busy in another statement (a healthy batch that is merely slow)
    const busy = new Client({ connectionString: db.url, application_name: BATCH_WORKER_APPLICATION_NAME });
    busy.on('error', () => undefined);
    await busy.connect();
    try {
      await busy.query('BEGIN');
      await busy.query('SELECT 1 FROM run_checkpoints WHERE run_id = $1 FOR UPDATE', [other.id]);
      const sleeping = busy.query('SELECT pg_sleep(2)').catch(() => undefined);
      await pg.query('SELECT pg_sleep(0.2)');
      expect(await endStuckHolders(ds, other, 'replica-b', 50)).toEqual([]);
      await sleeping;
    } finally {
      await busy.query('ROLLBACK').catch(() => undefined);
      await busy.end();
    }
    // past a whole TTL more: the frozen holder is ended, audited, and the partition claimed
    expect(await endStuckHolders(ds, run, 'replica-b', 50)).toEqual([
      { partitionNo: 0, owner: 'replica-a', epoch: 1, pid },
    ]);
    expect(await state()).toBeUndefined();
    expect(await claimPartition(ds, run, 'replica-b', TTL)).toMatchObject({
      partitionNo: 0,
      epoch: 2,
      previousOwner: 'replica-a',
    });
    const audit = (
      await pg.query(
        `SELECT actor, subject, details FROM immutable_audit_log WHERE action = 'partition:holder_ended' AND subject->>'runId' = $1`,
        [run.id],
      )
    ).rows;
    expect(audit).toEqual([
      {
        actor: 'service:engine',
        subject: { jobId: run.jobId, runId: run.id, partitionNo: 0 },
        details: { by: 'replica-b', holder: 'replica-a', epoch: 1, pid },
      },
    ]);
    await frozen.end().catch(() => undefined);
  });
});
