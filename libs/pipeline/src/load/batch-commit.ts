import { type PoolClient } from 'pg';
import { appendAuditStatement } from '@strongroom/audit';
import { type JobRunEntity, sqlLiteral } from '@strongroom/db';
import {
  beginBatch,
  copyRowsDirect,
  SINK_ID_SEQUENCE,
  writeBatch,
  type BatchContext,
  type BatchResult,
  type SinkLines,
} from './batch-writer';
import { runComplianceChecks, type PreparedAmlInputs } from '../compliance/compliance-checks';
import { insertDeadLetters } from './dead-letter-rows';
import { addToTotals, DigestBuilder, totalsToJson, type Totals } from './integrity';
import { PartitionFencedError, RunFencedError, RunPausedError } from '../run/run-status';
import { type PartitionLease } from '../run/partition-lease';
import { type CanonicalTransaction, type Rejection } from '../types';

export interface BatchInput {
  /** Records read in this batch (valid + rejected). */
  records: number;
  firstRecordNo: number;
  lastRecordNo: number;
  /** Resume position after this batch (byte offset in the file, or records of a stream). */
  position: number;
  valid: CanonicalTransaction[];
  rejected: Rejection[];
  /** Records the source itself marked as not to be loaded, by reason (e.g. NOT_BOOKED statement entries). */
  filtered?: Record<string, number>;
  /** The valid rows' canonical lines and binary COPY tuples, when built ahead of the commit (sinkLines). */
  lines?: SinkLines;
  /** What the AML statements take from the valid rows, when worked out ahead of the commit (prepareAmlInputs). */
  aml?: PreparedAmlInputs;
  /**
   * A file run's partition lease: the batch commits only while the partition row still names this
   * owner and epoch and stands at this lease's byte offset (the lease's position moves on after COMMIT).
   * Without it (ingest streams) the run's batch count is the fence.
   */
  lease?: PartitionLease;
  /**
   * A stream batch's idempotency key (streams only, without a lease). The transaction first looks the key up
   * (in the same round trip as BEGIN): a key committed before rolls back and throws AlreadyCommittedError with
   * its stored result. Else the key commits with the batch, in the statement that advances the stream, with the
   * result `ack` makes (its batch number given).
   */
  ingestKey?: { key: string; ack: (batchSeq: number, result: BatchResult) => object };
}

/** A stream batch whose idempotency key was committed before (BatchInput.ingestKey): nothing was written. */
export class AlreadyCommittedError extends Error {
  constructor(readonly stored: unknown) {
    super('this idempotency key was committed before');
  }
}

// The statements every batch sends (a stream's batch may hold only a few records) are named, so each
// connection parses and plans them once: measured with tools/profile-ingest.ts, about a tenth of a
// 1,000-record batch's time.

/**
 * One batch, one transaction: the rows, the dead letters, the run's counters, the partition's
 * checkpoint, the integrity row and the audit entry commit together — or none of them does. So a
 * crash anywhere resumes after the last committed batch with no duplicate and no gap. Updates `run`
 * only after COMMIT succeeded.
 */
export async function commitBatch(
  client: PoolClient,
  ctx: BatchContext & { actor: string },
  run: JobRunEntity,
  input: BatchInput,
): Promise<BatchResult> {
  const lease = input.lease;
  const key = lease ? undefined : input.ingestKey;
  try {
    // BEGIN, the batch's fence — a partition's lock on its checkpoint row, or a stream batch's re-send check —,
    // the id floor and the fast path's savepoint in one round trip, in that order: the id floor and the savepoint
    // come after the partition's lock (rolling back to a savepoint set before the lock would release it)
    const opening = await beginBatch(
      client,
      ctx,
      input.valid.length,
      true,
      lease
        ? // the partition row, locked for this transaction, must still be this lease's — a takeover bumps the
          // epoch under the same lock, so a superseded owner's batch never lands
          `SELECT 1 FROM run_checkpoints WHERE run_id = ${sqlLiteral(run.id)} AND partition_no = ${integer(lease.partitionNo)}
              AND owner = ${sqlLiteral(lease.owner)} AND lease_epoch = ${integer(lease.epoch)}
              AND byte_offset = ${integer(lease.byteOffset)} AND NOT done FOR UPDATE`
        : key
          ? `SELECT result FROM ingest_batches WHERE run_id = ${sqlLiteral(run.id)} AND idempotency_key = ${sqlLiteral(key.key)}`
          : undefined,
    );
    if (lease) {
      if (opening.found?.length !== 1) throw new PartitionFencedError(run.id, lease.partitionNo, lease.epoch);
    } else {
      const stored = opening.found?.[0];
      if (stored) throw new AlreadyCommittedError(stored.result);
    }
    const result = await writeBatch(client, ctx, input.valid, input.rejected, input.lines, opening);
    for (const [k, v] of Object.entries(input.filtered ?? {}))
      result.filteredByReason[k] = (result.filteredByReason[k] ?? 0) + v;
    const batchFiltered = Object.values(result.filteredByReason).reduce((a, b) => a + b, 0);
    const tokenized = input.valid.reduce((n, t) => n + (t.identifiersTokenized ?? 0), 0);
    const integrity = {
      loaded: result.loaded,
      totals: JSON.stringify(totalsToJson(result.totals)),
      digest: result.digest,
      details: JSON.stringify({ firstRecord: input.firstRecordNo, lastRecord: input.lastRecordNo }),
      idFloor: result.idFloor,
    };
    let counters: RunCounters;
    let lastId: string | null | undefined;
    if (lease) {
      // the run's counters, the partition's checkpoint (a committed batch renews the lease) and the integrity row
      // in one statement
      ({ counters, lastId } = await advancePartition(
        client,
        run,
        lease,
        input,
        result,
        batchFiltered,
        tokenized,
        integrity,
      ));
    } else {
      // the run's counters, the stream's checkpoint, the integrity row and the batch's idempotency key in one statement
      ({ counters, lastId } = await advanceStream(client, run, input, result, tokenized, integrity));
    }
    const batchSeq = counters.batchesCommitted;
    const alerts =
      ctx.checks && result.loaded > 0 && result.idFloor && lastId
        ? await runComplianceChecks(
            client,
            ctx.checks,
            { ...ctx, lo: result.idFloor, hi: lastId },
            input.firstRecordNo,
            input.lastRecordNo,
            input.valid,
            true,
            input.aml,
            result.notLoaded,
          )
        : {};
    // the audit entry (appended at the chain's tail, under its lock) and COMMIT in one message: a batch's last
    // round trip
    const audit = appendAuditStatement(
      {
        actor: ctx.actor,
        action: 'batch:committed',
        subject: { jobId: run.jobId, runId: run.id, batchSeq },
        details: {
          records: input.records,
          loaded: result.loaded,
          deadLettered: result.deadLettered,
          filtered: batchFiltered,
          digest: result.digest,
          position: input.position,
          ...(lease ? { partitionNo: lease.partitionNo, leaseEpoch: lease.epoch, replica: lease.owner } : {}),
          ...(Object.keys(alerts).length ? { alerts } : {}),
          ...(tokenized ? { identifiersTokenized: tokenized } : {}),
        },
      },
      sqlLiteral,
    );
    ctx.crash?.('batch:before-commit');
    await client.query(`${audit}; COMMIT`);
    Object.assign(run, counters);
    if (lease) {
      lease.byteOffset = input.position;
      lease.recordsRead += input.records;
      lease.batchSeq += 1;
    }
    ctx.crash?.('batch:after-commit');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** What one batch of a group commit (commitStreamGroup) committed: its result and the run's counters after it. */
export interface GroupedBatchResult {
  result: BatchResult;
  counters: RunCounters;
}

/**
 * Several consecutive batches of one stream in one transaction (group commit): one BEGIN with every batch's
 * re-send check, one COPY of all their rows, their dead letters in one statement, each batch's own advance
 * (counters, checkpoint, integrity row, idempotency key with its answer: batch numbers, acks and verification
 * stay per batch), and each batch's audit entry sent with COMMIT. For a stream whose batches need no checks
 * (no AML, KYC or encrypted fields) and whose rows were all rendered ahead (`lines`); the caller has checked
 * that no txn_id repeats among them.
 *
 * Returns undefined, with nothing written (the transaction rolled back), when a batch's key was committed
 * before, the direct COPY is backing off, or the database refused a row: the caller then commits the batches
 * one by one (commitBatch), which answers re-sends and classifies each row. Updates `run` only after COMMIT.
 */
export async function commitStreamGroup(
  client: PoolClient,
  ctx: BatchContext & { actor: string },
  run: JobRunEntity,
  inputs: readonly (BatchInput & { lines: SinkLines; ingestKey: NonNullable<BatchInput['ingestKey']> })[],
): Promise<GroupedBatchResult[] | undefined> {
  const rows = inputs.reduce((n, b) => n + b.valid.length, 0);
  try {
    const keys = inputs.map((b) => sqlLiteral(b.ingestKey.key)).join(', ');
    const opening = await beginBatch(
      client,
      ctx,
      rows,
      true,
      `SELECT idempotency_key FROM ingest_batches WHERE run_id = ${sqlLiteral(run.id)} AND idempotency_key IN (${keys})`,
    );
    const resent = (opening.found?.length ?? 0) > 0;
    if (resent || (rows > 0 && !opening.savepoint)) {
      await client.query('ROLLBACK');
      return undefined;
    }
    if (rows > 0 && !(await copyRowsDirect(client, ctx, Buffer.concat(inputs.map((b) => b.lines.copy.bytes()))))) {
      await client.query('ROLLBACK');
      return undefined;
    }
    const dead = inputs.flatMap((b) => b.rejected);
    if (dead.length) await insertDeadLetters(client, ctx, dead);
    // each batch as its own commit would have recorded it: every valid row inserted, its rejections dead-lettered
    let state: JobRunEntity = run;
    const out: GroupedBatchResult[] = [];
    const tokenizedOf: number[] = [];
    for (const input of inputs) {
      const totals: Totals = new Map();
      for (const t of input.valid) addToTotals(totals, t.currency, t.amount.minor);
      const digest = new DigestBuilder();
      if (input.valid.length) digest.addBytes(input.lines.canonical.bytes());
      const result: BatchResult = {
        loaded: input.valid.length,
        deadLettered: input.rejected.length,
        filteredByReason: {},
        totals,
        digest: digest.hex(),
        rejections: [...input.rejected],
        // the group's rows lie after its one id floor, up to the session's last value: each batch's range is that
        // envelope (lookups also filter on the run and the record numbers), none for a batch without rows
        idFloor: input.valid.length ? opening.idFloor : null,
        notLoaded: new Set(),
      };
      const tokenized = input.valid.reduce((n, t) => n + (t.identifiersTokenized ?? 0), 0);
      const { counters } = await advanceStream(client, state, input, result, tokenized, {
        loaded: result.loaded,
        totals: JSON.stringify(totalsToJson(result.totals)),
        digest: result.digest,
        details: JSON.stringify({ firstRecord: input.firstRecordNo, lastRecord: input.lastRecordNo }),
        idFloor: result.idFloor,
      });
      state = { ...state, ...counters } as JobRunEntity;
      out.push({ result, counters });
      tokenizedOf.push(tokenized);
    }
    const audit = inputs.map((input, i) => {
      const { result, counters } = out[i] as GroupedBatchResult;
      return appendAuditStatement(
        {
          actor: ctx.actor,
          action: 'batch:committed',
          subject: { jobId: run.jobId, runId: run.id, batchSeq: counters.batchesCommitted },
          details: {
            records: input.records,
            loaded: result.loaded,
            deadLettered: result.deadLettered,
            filtered: 0,
            digest: result.digest,
            position: input.position,
            // committed in one transaction with the other batches of its group
            groupSize: inputs.length,
            ...(tokenizedOf[i] ? { identifiersTokenized: tokenizedOf[i] } : {}),
          },
        },
        sqlLiteral,
      );
    });
    ctx.crash?.('batch:before-commit');
    await client.query(`${audit.join('; ')}; COMMIT`);
    Object.assign(run, (out[out.length - 1] as GroupedBatchResult).counters);
    ctx.crash?.('batch:after-commit');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

type RunCounters = Pick<
  JobRunEntity,
  | 'recordsRead'
  | 'recordsLoaded'
  | 'recordsDeadLettered'
  | 'recordsFiltered'
  | 'filteredByReason'
  | 'bytesRead'
  | 'batchesCommitted'
  | 'identifiersTokenized'
  | 'status'
>;

const COUNTERS = `records_read::text AS "recordsRead", records_loaded::text AS "recordsLoaded",
  records_dead_lettered::text AS "recordsDeadLettered", records_filtered::text AS "recordsFiltered",
  filtered_by_reason AS "filteredByReason", bytes_read::text AS "bytesRead", batches_committed AS "batchesCommitted",
  identifiers_tokenized::text AS "identifiersTokenized", status`;

/**
 * A partition's batch adds to the run's counters (replicas commit batches of one run in any order; the
 * run row's lock orders them, and its batch count numbers them). Only a RUNNING run takes a batch: a
 * pause or an end that committed first turns it away (it is read again on resume, or never).
 */
/**
 * A partition's batch: adds to the run's counters (only while the run is RUNNING), advances the partition's
 * checkpoint and extends its lease, and inserts the batch's integrity row — where its rows lie in the sink: after
 * the value taken before its inserts, up to the session's last — in one statement (one round trip).
 */
async function advancePartition(
  client: PoolClient,
  run: JobRunEntity,
  lease: PartitionLease,
  input: BatchInput,
  result: BatchResult,
  filtered: number,
  tokenized: number,
  integrity: { loaded: number; totals: string; digest: string; details: string; idFloor: string | null },
): Promise<{ counters: RunCounters; lastId: string | null }> {
  const updated = await client.query<RunCounters & { lastId: string | null }>({
    name: 'strongroom_advance_partition',
    text: `WITH r AS (
         UPDATE job_runs SET records_read = records_read + $2, records_loaded = records_loaded + $3,
                records_dead_lettered = records_dead_lettered + $4, records_filtered = records_filtered + $5,
                filtered_by_reason = (SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
                                        FROM (SELECT key AS k, sum(value::bigint) AS n
                                                FROM (SELECT * FROM jsonb_each_text(filtered_by_reason)
                                                      UNION ALL SELECT * FROM jsonb_each_text($6::jsonb)) e
                                               GROUP BY key) s),
                bytes_read = bytes_read + $7, batches_committed = batches_committed + 1,
                identifiers_tokenized = identifiers_tokenized + $8
          WHERE id = $1 AND status = 'RUNNING'
          RETURNING *),
       c AS (
         UPDATE run_checkpoints SET batch_seq = batch_seq + 1, records_read = records_read + $2, byte_offset = $9,
                loaded = loaded + $3, dead_lettered = dead_lettered + $4, filtered = filtered + $5, updated_at = now(),
                lease_expires_at = clock_timestamp() + $10 * interval '1 millisecond'
          WHERE run_id = $1 AND partition_no = $11 AND EXISTS (SELECT 1 FROM r)),
       i AS (
         INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details, partition_no, lease_epoch, first_id, last_id)
         SELECT r.id, r.batches_committed, 'BATCH', $12, $13, $14, $15, $11, $16, $17::bigint,
                CASE WHEN $17::bigint IS NULL THEN NULL ELSE currval('${SINK_ID_SEQUENCE}') END
           FROM r
         RETURNING last_id)
       SELECT ${COUNTERS}, (SELECT i.last_id::text FROM i) AS "lastId" FROM r`,
    values: [
      run.id,
      input.records,
      result.loaded,
      result.deadLettered,
      filtered,
      JSON.stringify(result.filteredByReason),
      input.position - lease.byteOffset,
      tokenized,
      input.position,
      lease.ttlMs,
      lease.partitionNo,
      integrity.loaded,
      integrity.totals,
      integrity.digest,
      integrity.details,
      lease.epoch,
      integrity.idFloor,
    ],
  });
  const row = updated.rows[0];
  if (row) {
    const { lastId, ...counters } = row;
    return { counters, lastId };
  }
  const [now] = (await client.query('SELECT status FROM job_runs WHERE id = $1', [run.id])).rows as {
    status: string;
  }[];
  if (now?.status === 'PAUSED') throw new RunPausedError(run.id);
  throw new RunFencedError(run.id, `is ${now?.status ?? 'gone'}; this batch was not applied`);
}

/** An integer as an SQL literal (a safe integer only: anything else is a defect, not data). */
function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

/** A stream's batch: lands only on the run state it was prepared from (its batch count is the fence). */
async function advanceStream(
  client: PoolClient,
  run: JobRunEntity,
  input: BatchInput,
  result: BatchResult,
  tokenized: number,
  integrity: { loaded: number; totals: string; digest: string; details: string; idFloor: string | null },
): Promise<{ counters: RunCounters; lastId: string | null }> {
  const filteredBy = { ...run.filteredByReason };
  for (const [k, v] of Object.entries(result.filteredByReason)) filteredBy[k] = (filteredBy[k] ?? 0) + v;
  // the run's counters, the stream's checkpoint, the batch's integrity row (where its rows lie in the sink:
  // after the value taken before its inserts, up to the session's last) and its idempotency key with the
  // result answered to a re-send, in one statement (one round trip)
  const batchSeq = run.batchesCommitted + 1;
  const key = input.ingestKey;
  const updated = await client.query<RunCounters & { lastId: string | null }>({
    name: 'strongroom_advance_stream',
    text: `WITH r AS (
         UPDATE job_runs SET records_read = records_read + $2, records_loaded = records_loaded + $3,
                records_dead_lettered = records_dead_lettered + $4,
                records_filtered = (SELECT coalesce(sum(value::bigint), 0) FROM jsonb_each_text($5::jsonb)),
                filtered_by_reason = $5, bytes_read = $6, batches_committed = $7, identifiers_tokenized = identifiers_tokenized + $8
          WHERE id = $1 AND status IN ('RUNNING','PAUSED') AND batches_committed = $7 - 1
          RETURNING *),
       c AS (
         INSERT INTO run_checkpoints (run_id, partition_no, kind, batch_seq, records_read, byte_offset, loaded, dead_lettered, filtered, updated_at)
         SELECT r.id, 0, 'STREAM', r.batches_committed, r.records_read, $6, r.records_loaded, r.records_dead_lettered, r.records_filtered, now()
           FROM r
         ON CONFLICT (run_id, partition_no) DO UPDATE SET batch_seq = EXCLUDED.batch_seq, records_read = EXCLUDED.records_read,
           byte_offset = EXCLUDED.byte_offset, loaded = EXCLUDED.loaded, dead_lettered = EXCLUDED.dead_lettered,
           filtered = EXCLUDED.filtered, updated_at = EXCLUDED.updated_at),
       i AS (
         INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details, first_id, last_id)
         SELECT r.id, r.batches_committed, 'BATCH', $9, $10, $11, $12, $13::bigint,
                CASE WHEN $13::bigint IS NULL THEN NULL ELSE currval('${SINK_ID_SEQUENCE}') END
           FROM r
         RETURNING last_id),
       k AS (
         INSERT INTO ingest_batches (run_id, idempotency_key, batch_seq, records, result)
         SELECT r.id, $14, r.batches_committed, $2, $15::jsonb FROM r WHERE $14::text IS NOT NULL)
       SELECT ${COUNTERS}, (SELECT i.last_id::text FROM i) AS "lastId" FROM r`,
    values: [
      run.id,
      input.records,
      result.loaded,
      result.deadLettered,
      JSON.stringify(filteredBy),
      input.position,
      batchSeq,
      tokenized,
      integrity.loaded,
      integrity.totals,
      integrity.digest,
      integrity.details,
      integrity.idFloor,
      key?.key ?? null,
      key ? JSON.stringify(key.ack(batchSeq, result)) : null,
    ],
  });
  // fencing: another writer moved the run on, or it was ended meanwhile — this batch must not land
  const row = updated.rows[0];
  if (!row) throw new RunFencedError(run.id, 'was moved on by another writer or ended; this batch was not applied');
  const { lastId, ...counters } = row;
  return { counters, lastId };
}
