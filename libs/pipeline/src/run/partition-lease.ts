import { appendAudit } from '@strongroom/audit';
import { type DataSource, type JobRunEntity, sqlExec, type SqlExec } from '@strongroom/db';
import { type PlannedPartition } from './partition-plan';

/**
 * Leases on a file run's partitions (run_checkpoints rows of kind FILE). All times are the database's
 * (`clock_timestamp()`): a replica's own clock never decides whether a lease is live. A claim bumps the
 * lease epoch under the partition row's lock; every batch commits only while the row still names its
 * owner and epoch (batch-commit.ts), so a byte range commits once however clocks, pauses and takeovers
 * fall — they decide only when a takeover happens.
 */
export interface PartitionLease {
  runId: string;
  partitionNo: number;
  owner: string;
  epoch: number;
  startByte: number;
  endByte: number;
  recordsBefore: number;
  /** Records of this partition already committed, and the byte offset after them (the resume point). */
  recordsRead: number;
  byteOffset: number;
  sha256: string | null;
  /** Batches of this partition committed before this claim (0: a fresh start). */
  batchSeq: number;
  /** Who held the lease before (a takeover), or null. */
  previousOwner: string | null;
  /** The lease's length: each renewal, and each committed batch, extends it to this from the database's now. */
  ttlMs: number;
}

/** Inserts a run's planned partitions (in the transaction that marks the run RUNNING). */
export async function insertPartitions(exec: SqlExec, runId: string, partitions: PlannedPartition[]): Promise<void> {
  await exec(
    `INSERT INTO run_checkpoints (run_id, partition_no, kind, start_byte, end_byte, records_before, sha256, batch_seq,
                                  records_read, byte_offset, loaded, dead_lettered, filtered)
     SELECT $1, p.no, 'FILE', p.s, p.e, p.b, p.h, 0, 0, p.s, 0, 0, 0
       FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS p(no, s, e, b, h)`,
    [
      runId,
      partitions.map((p) => p.partitionNo),
      partitions.map((p) => p.startByte),
      partitions.map((p) => p.endByte),
      partitions.map((p) => p.recordsBefore),
      partitions.map((p) => p.sha256),
    ],
  );
}

/**
 * Claims one open partition of a RUNNING run for `owner`: one nobody holds, one this owner held before
 * (an attempt of this replica that ended without giving it back: a replica works on one partition of a
 * run at a time), or one whose lease expired (by the database's clock) — skipping rows another session
 * has locked (a batch in flight). Bumps the
 * epoch; a re-claim (the partition had been claimed before) counts an attempt of the run and, when
 * it takes over from someone, is audited.
 */
export async function claimPartition(
  ds: DataSource,
  run: Pick<JobRunEntity, 'id' | 'jobId'>,
  owner: string,
  ttlMs: number,
): Promise<PartitionLease | undefined> {
  return ds.transaction(async (em) => {
    const exec = sqlExec(em);
    const [row] = (await exec(
      `WITH c AS (
         SELECT p.run_id, p.partition_no, p.owner AS prev, p.lease_epoch AS prev_epoch
           FROM run_checkpoints p
          WHERE p.run_id = $1 AND p.kind = 'FILE' AND NOT p.done
            AND (p.owner IS NULL OR p.owner = $2 OR p.lease_expires_at < clock_timestamp())
            AND EXISTS (SELECT 1 FROM job_runs r WHERE r.id = $1 AND r.status = 'RUNNING')
          ORDER BY p.partition_no
          LIMIT 1
          FOR UPDATE OF p SKIP LOCKED)
       UPDATE run_checkpoints p
          SET owner = $2, lease_epoch = p.lease_epoch + 1,
              lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond', updated_at = now()
         FROM c
        WHERE p.run_id = c.run_id AND p.partition_no = c.partition_no
       RETURNING p.partition_no, p.lease_epoch::text AS epoch, p.start_byte::text AS start_byte,
                 p.end_byte::text AS end_byte, p.records_before::text AS records_before,
                 p.records_read::text AS records_read, p.byte_offset::text AS byte_offset, p.sha256, p.batch_seq,
                 c.prev, c.prev_epoch::text AS prev_epoch`,
      [run.id, owner, ttlMs],
    )) as Record<string, string | number | null>[];
    if (!row) return undefined;
    const lease: PartitionLease = {
      runId: run.id,
      partitionNo: Number(row['partition_no']),
      owner,
      epoch: Number(row['epoch']),
      startByte: Number(row['start_byte']),
      endByte: Number(row['end_byte']),
      recordsBefore: Number(row['records_before']),
      recordsRead: Number(row['records_read']),
      byteOffset: Number(row['byte_offset']),
      sha256: (row['sha256'] as string | null) ?? null,
      batchSeq: Number(row['batch_seq']),
      previousOwner: (row['prev'] as string | null) ?? null,
      ttlMs,
    };
    if (Number(row['prev_epoch']) > 0) {
      await exec('UPDATE job_runs SET attempts = attempts + 1 WHERE id = $1', [run.id]);
      if (lease.previousOwner && lease.previousOwner !== owner)
        await appendAudit(exec, {
          actor: 'service:engine',
          action: 'partition:taken_over',
          subject: { jobId: run.jobId, runId: run.id, partitionNo: lease.partitionNo },
          details: { owner, epoch: lease.epoch, previousOwner: lease.previousOwner, fromByte: lease.byteOffset },
        });
    }
    return lease;
  });
}

/** The application_name of the sessions that commit partitions' batches: the only sessions a rescue may end. */
export const BATCH_WORKER_APPLICATION_NAME = 'strongroom-batch-worker';

/** A batch worker session that held an expired partition's row and was ended (endStuckHolders). */
export interface StuckHolder {
  partitionNo: number;
  owner: string | null;
  epoch: number;
  pid: number;
}

/**
 * Ends the sessions that keep a partition nobody may claim: its lease ran out more than a whole TTL ago
 * (by the database's clock) and its row is still locked by a batch worker's transaction. Such a holder
 * cannot end by itself — its replica froze in the middle of sending a COPY message: PostgreSQL holds a
 * cancel back until the message is whole, so statement_timeout never fires, and the frozen host's kernel
 * keeps the connection alive. (Any other stuck batch ends within a TTL by its session's statement and
 * idle-in-transaction timeouts.) The holder is found through the row's locking transaction (xmax) in
 * pg_locks, limited to batch worker sessions of this login, and ended with pg_terminate_backend (allowed
 * between sessions of one login); its transaction rolls back, so nothing of its batch lands, and the
 * thawed replica finds its lease superseded. Each ending is audited. Only a session inside a COPY that
 * began over a lease ago and is waiting for its client is ended — a healthy batch that is merely slow is
 * not. Replicas must share one login (with a login each, nothing is found and the partition waits).
 */
export async function endStuckHolders(
  ds: DataSource,
  run: Pick<JobRunEntity, 'id' | 'jobId'>,
  by: string,
  ttlMs: number,
): Promise<StuckHolder[]> {
  const rows = await sqlExec(ds)(
    `SELECT p.partition_no, p.owner, p.lease_epoch::int AS epoch, a.pid, pg_terminate_backend(a.pid, 5000) AS ended
       FROM run_checkpoints p
       JOIN pg_locks l ON l.locktype = 'transactionid' AND l.transactionid = p.xmax AND l.mode = 'ExclusiveLock'
                      AND l.granted
       JOIN pg_stat_activity a ON a.pid = l.pid AND a.application_name = $3 AND a.usename = session_user
      WHERE p.run_id = $1 AND p.kind = 'FILE' AND NOT p.done
        AND p.lease_expires_at < clock_timestamp() - $2 * interval '1 millisecond'
        -- what a replica frozen mid-COPY looks like: a COPY that began over a lease ago and waits for the
        -- rest of a message from its client (a healthy, slow batch is in another statement or moving)
        AND a.state = 'active' AND a.wait_event = 'ClientRead' AND a.query ILIKE 'COPY%'
        AND a.query_start < clock_timestamp() - $2 * interval '1 millisecond'
        AND a.pid <> pg_backend_pid()`,
    [run.id, ttlMs, BATCH_WORKER_APPLICATION_NAME],
  );
  const ended = rows
    .filter((r) => r['ended'] === true)
    .map((r) => ({
      partitionNo: Number(r['partition_no']),
      owner: (r['owner'] as string | null) ?? null,
      epoch: Number(r['epoch']),
      pid: Number(r['pid']),
    }));
  for (const h of ended)
    await ds.transaction((em) =>
      appendAudit(sqlExec(em), {
        actor: 'service:engine',
        action: 'partition:holder_ended',
        subject: { jobId: run.jobId, runId: run.id, partitionNo: h.partitionNo },
        details: { by, holder: h.owner, epoch: h.epoch, pid: h.pid },
      }),
    );
  return ended;
}

/** Extends the lease; false when it is no longer this owner's (taken over, or the partition ended). */
export async function renewLease(ds: DataSource, lease: PartitionLease, ttlMs: number): Promise<boolean> {
  const rows = await sqlExec(ds)(
    `UPDATE run_checkpoints SET lease_expires_at = clock_timestamp() + $5 * interval '1 millisecond'
      WHERE run_id = $1 AND partition_no = $2 AND owner = $3 AND lease_epoch = $4 AND NOT done RETURNING 1`,
    [lease.runId, lease.partitionNo, lease.owner, lease.epoch, ttlMs],
  );
  return rows.length === 1;
}

/** Gives the partition back (pause, shutdown, an outage): anyone may claim it at once. */
export async function releaseLease(ds: DataSource, lease: PartitionLease): Promise<void> {
  await sqlExec(ds)(
    `UPDATE run_checkpoints SET owner = NULL, lease_expires_at = NULL, updated_at = now()
      WHERE run_id = $1 AND partition_no = $2 AND owner = $3 AND lease_epoch = $4`,
    [lease.runId, lease.partitionNo, lease.owner, lease.epoch],
  );
}

/**
 * Marks the partition done (still under this owner's lease) and says whether it was the run's last
 * open one. Under the run row's lock, so of two replicas ending the last two partitions at once,
 * exactly one sees none left and finalizes. Returns undefined when the lease was lost (fenced).
 */
export async function finishPartition(ds: DataSource, lease: PartitionLease): Promise<{ last: boolean } | undefined> {
  return ds.transaction(async (em) => {
    const exec = sqlExec(em);
    await exec('SELECT 1 FROM job_runs WHERE id = $1 FOR UPDATE', [lease.runId]);
    const done = await exec(
      `UPDATE run_checkpoints SET done = true, owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE run_id = $1 AND partition_no = $2 AND owner = $3 AND lease_epoch = $4 AND NOT done RETURNING 1`,
      [lease.runId, lease.partitionNo, lease.owner, lease.epoch],
    );
    if (done.length !== 1) return undefined;
    const [open] = await exec(`SELECT count(*)::int AS n FROM run_checkpoints WHERE run_id = $1 AND NOT done`, [
      lease.runId,
    ]);
    return { last: Number(open?.['n']) === 0 };
  });
}

/** A batch that found its lease gone: counted on the partition and audited, never applied. */
export async function recordFencedBatch(
  ds: DataSource,
  run: Pick<JobRunEntity, 'id' | 'jobId'>,
  lease: PartitionLease,
  why: string,
): Promise<void> {
  await ds.transaction(async (em) => {
    const exec = sqlExec(em);
    await exec(
      'UPDATE run_checkpoints SET fenced_batches = fenced_batches + 1 WHERE run_id = $1 AND partition_no = $2',
      [lease.runId, lease.partitionNo],
    );
    await appendAudit(exec, {
      actor: 'service:engine',
      action: 'partition:batch_fenced',
      subject: { jobId: run.jobId, runId: run.id, partitionNo: lease.partitionNo },
      details: { owner: lease.owner, epoch: lease.epoch, reason: why },
    });
  });
}

/** Whether every partition of the run is done (its finalization may be due). */
export async function allPartitionsDone(exec: SqlExec, runId: string): Promise<boolean> {
  const [r] = await exec(
    `SELECT count(*) FILTER (WHERE NOT done)::int AS open, count(*)::int AS n FROM run_checkpoints WHERE run_id = $1`,
    [runId],
  );
  return Number(r?.['n']) > 0 && Number(r?.['open']) === 0;
}

/** A partition as operators see it (ListRunPartitions). */
export interface PartitionView {
  partitionNo: number;
  state: 'OPEN' | 'HELD' | 'DONE';
  owner: string | null;
  leaseEpoch: string;
  leaseExpiresAt: Date | null;
  startByte: string;
  endByte: string;
  nextOffset: string;
  read: string;
  loaded: string;
  deadLettered: string;
  filtered: string;
  batchesCommitted: number;
  fencedBatches: number;
}

/** A file run's partitions in order, with their state judged by the database's clock. */
export async function listRunPartitions(exec: SqlExec, runId: string): Promise<PartitionView[]> {
  return (await exec(
    `SELECT partition_no AS "partitionNo",
            CASE WHEN done THEN 'DONE' WHEN owner IS NOT NULL AND lease_expires_at >= clock_timestamp() THEN 'HELD'
                 ELSE 'OPEN' END AS state,
            owner, lease_epoch::text AS "leaseEpoch", lease_expires_at AS "leaseExpiresAt",
            start_byte::text AS "startByte", coalesce(end_byte, 0)::text AS "endByte", byte_offset::text AS "nextOffset",
            records_read::text AS read, loaded::text AS loaded, dead_lettered::text AS "deadLettered",
            filtered::text AS filtered, batch_seq AS "batchesCommitted", fenced_batches AS "fencedBatches"
       FROM run_checkpoints WHERE run_id = $1 AND kind = 'FILE' ORDER BY partition_no`,
    [runId],
  )) as unknown as PartitionView[];
}
