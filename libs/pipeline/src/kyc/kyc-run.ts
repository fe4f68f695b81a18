// A run of a job of `kind: kyc`: KYC records into the register (kyc_customers) with the same accounting
// as a transaction run — every record read is kept or dead-lettered with its reason (read = loaded +
// dead_lettered), the reject ratio decides, dead letters replay — but in one transaction: the register
// holds one current row per account, so it never shows half a file.
import { appendAudit } from '@strongroom/audit';
import { type DataSource, type JobRunEntity, pgClientOf, sqlExec } from '@strongroom/db';
import { ErrorCode } from '@strongroom/errors';
import { type RunFileJob } from '../jobs/job-definition';
import { insertDeadLetters } from '../load/dead-letter-rows';
import { type PartitionLease } from '../run/partition-lease';
import { type RunStats } from '../run/run-context';
import { markFinished, PartitionFencedError, type RunOutcome } from '../run/run-status';
import { type KycFile, upsertKycRows } from './kyc-records';

/**
 * Ends a KYC run whose file was read whole (`kyc`): in one transaction, fenced by the partition's lease
 * (a replica that lost it writes nothing), the dead letters, the register's rows — only when the share of
 * rejected records is within `errors.maxRejectRatio`; otherwise the run FAILS and the register is left as
 * it was — the run's counters and figures, its status, and the audit entries `kyc:loaded` and
 * `run:succeeded`/`run:failed`.
 */
export async function commitKycRun(
  ds: DataSource,
  run: JobRunEntity,
  def: RunFileJob,
  lease: PartitionLease,
  kyc: KycFile,
  stats: RunStats,
  actor: string,
): Promise<void> {
  const read = kyc.read;
  const dead = kyc.rejected.length;
  const loaded = kyc.rows.length;
  const ratio = read > 0 ? dead / read : 0;
  const tooMany = ratio > def.errors.maxRejectRatio;
  const elapsedS = Math.max((performance.now() - stats.startedAt) / 1000, 0.001);
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const exec = sqlExec(runner);
    await exec('SELECT 1 FROM job_runs WHERE id = $1 FOR UPDATE', [run.id]);
    const held = await exec(
      `UPDATE run_checkpoints SET done = true, owner = NULL, lease_expires_at = NULL, batch_seq = 1, records_read = $5,
              byte_offset = end_byte, loaded = $6, dead_lettered = $7, updated_at = now()
        WHERE run_id = $1 AND partition_no = $2 AND owner = $3 AND lease_epoch = $4 AND NOT done RETURNING 1`,
      [run.id, lease.partitionNo, lease.owner, lease.epoch, read, loaded, dead],
    );
    if (held.length !== 1) throw new PartitionFencedError(run.id, lease.partitionNo, lease.epoch);
    if (dead)
      await insertDeadLetters(
        pgClientOf(runner),
        {
          runId: run.id,
          jobId: run.jobId,
          sourceSystem: def.name,
          dataClassification: def.compliance.dataClassification,
        },
        kyc.rejected,
      );
    // the file counts from when it was submitted: an account a more recent file wrote keeps its row, and this
    // file's record of it is filtered as SUPERSEDED (an older file applied later never undoes a newer one)
    const written = tooMany ? 0 : (await upsertKycRows(exec, kyc.rows, run.createdAt)).length;
    const superseded = tooMany ? 0 : loaded - written;
    const kept = tooMany ? loaded : written;
    const filteredBy = superseded ? { SUPERSEDED: superseded } : {};
    await exec(`UPDATE run_checkpoints SET loaded = $3, filtered = $4 WHERE run_id = $1 AND partition_no = $2`, [
      run.id,
      lease.partitionNo,
      kept,
      superseded,
    ]);
    await exec(
      `UPDATE job_runs SET records_read = $2, records_loaded = $3, records_dead_lettered = $4, bytes_read = $5,
              batches_committed = 1, source_header = coalesce(source_header, $6), records_filtered = $7,
              filtered_by_reason = $8
        WHERE id = $1`,
      [run.id, read, kept, dead, kyc.bytes, JSON.stringify(kyc.header), superseded, JSON.stringify(filteredBy)],
    );
    await exec(
      `INSERT INTO performance_metrics (run_id, records_per_second, error_rate, peak_rss_bytes) VALUES ($1, $2, $3, $4)`,
      [run.id, (read / elapsedS).toFixed(2), ratio.toFixed(6), stats.peakRssBytes],
    );
    await appendAudit(exec, {
      actor,
      action: 'kyc:loaded',
      subject: { jobId: run.jobId, runId: run.id, file: def.source.path, sha256: run.sourceSha256 },
      details: { read, loaded: written, rejected: dead, superseded, registerUpdated: !tooMany },
    });
    Object.assign(run, {
      recordsRead: String(read),
      recordsLoaded: String(kept),
      recordsFiltered: String(superseded),
      filteredByReason: filteredBy,
      recordsDeadLettered: String(dead),
      bytesRead: String(kyc.bytes),
      batchesCommitted: 1,
      sourceHeader: run.sourceHeader ?? kyc.header,
    });
    const outcome: RunOutcome = {
      status: tooMany ? 'FAILED' : 'SUCCEEDED',
      sourceTotals: {},
      sinkTotals: {},
      reconciled: true,
      reconciliationReason: null,
      errorCode: tooMany ? ErrorCode.REJECT_RATIO_EXCEEDED : null,
      errorMessage: tooMany
        ? `${dead} of ${read} records rejected (${(ratio * 100).toFixed(2)}%) exceeds maxRejectRatio ${def.errors.maxRejectRatio}; the KYC register was not changed`
        : null,
    };
    await markFinished(
      runner.manager,
      run,
      outcome,
      {
        read,
        loaded: kept,
        deadLettered: dead,
        filtered: superseded,
        registerRows: written,
        errorCode: outcome.errorCode,
      },
      actor,
    );
    await runner.commitTransaction();
    Object.assign(run, {
      status: outcome.status,
      finishedAt: new Date(),
      sourceTotals: {},
      sinkTotals: {},
      reconciled: true,
      reconciliationReason: null,
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage,
    });
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
  }
}
