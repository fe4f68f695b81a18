import { type PoolClient } from 'pg';
import { appendAudit } from '@strongroom/audit';
import { type JobRunEntity, sqlExec } from '@strongroom/db';
import { writeBatch, type BatchContext, type BatchResult, type SinkLines } from './batch-writer';
import { runComplianceChecks } from '../compliance/compliance-checks';
import { totalsToJson } from './integrity';
import { RunFencedError } from '../run/run-status';
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
  /** The valid rows' canonical and COPY lines, when built ahead of the commit (sinkLines). */
  lines?: SinkLines;
}

/**
 * One batch, one transaction: the rows, the dead letters, the run's counters, the partition's
 * checkpoint, the integrity row and the audit entry commit together — or none of them does. So a
 * crash anywhere resumes after the last committed batch with no duplicate and no gap. Updates `run`
 * only after COMMIT succeeded. `extra` runs inside the transaction (e.g. recording an ingest batch key).
 */
export async function commitBatch(
  client: PoolClient,
  ctx: BatchContext & { actor: string },
  run: JobRunEntity,
  input: BatchInput,
  extra?: (client: PoolClient, batchSeq: number, result: BatchResult) => Promise<void>,
): Promise<BatchResult> {
  await client.query('BEGIN');
  try {
    const result = await writeBatch(client, ctx, input.valid, input.rejected, input.lines);
    for (const [k, v] of Object.entries(input.filtered ?? {}))
      result.filteredByReason[k] = (result.filteredByReason[k] ?? 0) + v;
    const read = Number(run.recordsRead) + input.records;
    const loaded = Number(run.recordsLoaded) + result.loaded;
    const dead = Number(run.recordsDeadLettered) + result.deadLettered;
    const filteredBy = { ...run.filteredByReason };
    for (const [k, v] of Object.entries(result.filteredByReason)) filteredBy[k] = (filteredBy[k] ?? 0) + v;
    const filtered = Object.values(filteredBy).reduce((a, b) => a + b, 0);
    const batchSeq = run.batchesCommitted + 1;
    const tokenized = input.valid.reduce((n, t) => n + (t.identifiersTokenized ?? 0), 0);
    const updated = await client.query(
      `UPDATE job_runs SET records_read = $2, records_loaded = $3, records_dead_lettered = $4, records_filtered = $5,
              filtered_by_reason = $6, bytes_read = $7, batches_committed = $8, identifiers_tokenized = identifiers_tokenized + $9
        WHERE id = $1 AND status IN ('RUNNING','PAUSED') AND batches_committed = $8 - 1`,
      [run.id, read, loaded, dead, filtered, JSON.stringify(filteredBy), input.position, batchSeq, tokenized],
    );
    // fencing: another executor moved the run on, or it was ended meanwhile — this batch must not land
    if (updated.rowCount !== 1) {
      throw new RunFencedError(run.id, 'was moved on by another writer or ended; this batch was not applied');
    }
    await client.query(
      `INSERT INTO run_checkpoints (run_id, partition_no, batch_seq, records_read, byte_offset, loaded, dead_lettered, filtered, updated_at)
       VALUES ($1, 0, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (run_id, partition_no) DO UPDATE SET batch_seq = $2, records_read = $3, byte_offset = $4, loaded = $5,
         dead_lettered = $6, filtered = $7, updated_at = now()`,
      [run.id, batchSeq, read, input.position, loaded, dead, filtered],
    );
    await client.query(
      `INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details)
       VALUES ($1, $2, 'BATCH', $3, $4, $5, $6)`,
      [
        run.id,
        batchSeq,
        result.loaded,
        JSON.stringify(totalsToJson(result.totals)),
        result.digest,
        JSON.stringify({ firstRecord: input.firstRecordNo, lastRecord: input.lastRecordNo }),
      ],
    );
    await extra?.(client, batchSeq, result);
    const alerts =
      ctx.checks && result.loaded > 0
        ? await runComplianceChecks(client, ctx.checks, ctx, input.firstRecordNo, input.lastRecordNo, input.valid, true)
        : {};
    await appendAudit(sqlExec(client), {
      actor: ctx.actor,
      action: 'batch:committed',
      subject: { jobId: run.jobId, runId: run.id, batchSeq },
      details: {
        records: input.records,
        loaded: result.loaded,
        deadLettered: result.deadLettered,
        filtered: Object.values(result.filteredByReason).reduce((a, b) => a + b, 0),
        digest: result.digest,
        position: input.position,
        ...(Object.keys(alerts).length ? { alerts } : {}),
        ...(tokenized ? { identifiersTokenized: tokenized } : {}),
      },
    });
    ctx.crash?.('batch:before-commit');
    await client.query('COMMIT');
    Object.assign(run, {
      recordsRead: String(read),
      recordsLoaded: String(loaded),
      recordsDeadLettered: String(dead),
      recordsFiltered: String(filtered),
      filteredByReason: filteredBy,
      bytesRead: String(input.position),
      batchesCommitted: batchSeq,
      identifiersTokenized: String(Number(run.identifiersTokenized ?? 0) + tokenized),
    });
    ctx.crash?.('batch:after-commit');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
