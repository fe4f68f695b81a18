import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type PanProtector } from '@strongroom/compliance';
import { openCsvSource, type CsvSource, type SourceRecord } from '@strongroom/connectors';
import { type DataSource, type JobRunEntity, type QueryRunner, pgClientOf } from '@strongroom/db';
import { ErrorCode, StrongroomError, coerceError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { AdaptiveBatchSize } from './adaptive-batch';
import { prepareStaging, writeBatch, type BatchContext, type BatchResult } from './batch-writer';
import { mergeTotals, totalsToJson, type Totals } from './integrity';
import { type JobWithDefinition } from './job-store';
import { finalizeRun } from './run-finalizer';
import { withRetry } from './retry';
import { createTransactionMapper } from './transaction-mapper';
import { type CanonicalTransaction, type Rejection } from './types';

export interface RunContext {
  ds: DataSource;
  logger: Logger;
  pan: PanProtector;
}

/** Figures collected while a run executes, for performance_metrics. */
export interface RunStats {
  commitMs: number[];
  peakRssBytes: number;
  startedAt: number;
}

/**
 * Executes one run: streams the source, validates and maps each record, and commits batch by batch.
 * Each batch's rows, dead letters, run counters, checkpoint and integrity row commit in ONE
 * transaction. `onProgress` receives the run entity after every committed batch. The signal is
 * checked between batches: aborted with reason 'shutdown' the run stops and stays RUNNING (its
 * checkpoint is consistent); aborted otherwise it is CANCELLED. The bytes read are hashed and must
 * match the SHA-256 taken at submission, or the run fails with SOURCE_CHANGED before it is finalized.
 */
export async function executeRun(
  ctx: RunContext,
  run: JobRunEntity,
  job: JobWithDefinition,
  signal: AbortSignal,
  onProgress: (run: JobRunEntity) => void,
): Promise<JobRunEntity> {
  const log = ctx.logger.child({ component: 'run', jobId: run.jobId, runId: run.id });
  const def = job.definition;
  const stats: RunStats = { commitMs: [], peakRssBytes: process.memoryUsage.rss(), startedAt: performance.now() };
  const loadedTotals: Totals = new Map();
  const runDigest = createHash('sha256');
  let runner: QueryRunner | undefined;
  let source: CsvSource | undefined;
  const readHash = createHash('sha256');
  try {
    const [, started] = (await ctx.ds.query(`UPDATE job_runs SET status = 'RUNNING', started_at = now() WHERE id = $1 AND status = 'PENDING'`, [run.id])) as [unknown, number];
    if (started !== 1) throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `run ${run.id} is no longer PENDING`);
    run.status = 'RUNNING';
    run.startedAt = new Date();
    onProgress(run);
    log.info('run:started', { source: def.source.path, sha256: run.sourceSha256 });
    source = await openCsvSource({ path: def.source.path, delimiter: def.source.delimiter, hash: readHash });
    const mapper = createTransactionMapper(source.header, def, ctx.pan);
    const batchCtx: BatchContext = {
      runId: run.id,
      jobId: run.jobId,
      sourceSystem: def.source.system ?? def.name,
      dataClassification: def.compliance.dataClassification,
    };
    const sizer = new AdaptiveBatchSize(def.batching.minSize, def.batching.maxSize, def.batching.targetCommitMs, def.batching.startSize);
    // raw text is held ~4× (fields, canonical line, COPY payload): cap raw bytes per batch accordingly
    const maxBatchBytes = Math.floor((def.batching.maxInFlightMB * 1024 * 1024) / 4);
    runner = await connect(ctx.ds);
    for await (const records of source.records(() => ({ records: sizer.current, bytes: maxBatchBytes }))) {
      if (signal.aborted) break;
      const { valid, rejected } = mapRecords(records, mapper);
      const t0 = performance.now();
      const result = await withRetry(
        () => commitBatch(runner as QueryRunner, batchCtx, run, records, valid, rejected),
        undefined,
        async (err, attempt) => {
          log.warn('batch:retrying', { attempt: attempt + 1, code: coerceError(err).code });
          await (runner as QueryRunner).release().catch(() => undefined);
          runner = await connect(ctx.ds);
        },
      );
      const ms = performance.now() - t0;
      stats.commitMs.push(ms);
      sizer.observe(records.length, ms);
      mergeTotals(loadedTotals, result.totals);
      runDigest.update(result.digest);
      stats.peakRssBytes = Math.max(stats.peakRssBytes, process.memoryUsage.rss());
      log.debug('batch:committed', { batchSeq: run.batchesCommitted, records: records.length, loaded: result.loaded, ms: Math.round(ms) });
      onProgress(run);
    }
    if (signal.aborted && signal.reason === 'shutdown') {
      log.warn('run:interrupted', { reason: 'engine shutdown', batchesCommitted: run.batchesCommitted });
      return run; // stays RUNNING: its last batch is committed or rolled back, its checkpoint consistent
    }
    if (signal.aborted) {
      await ctx.ds.query(`UPDATE job_runs SET status = 'CANCELLED', finished_at = now(), error_code = $2, error_message = $3 WHERE id = $1`, [
        run.id,
        ErrorCode.CANCELLED,
        'cancelled by operator',
      ]);
      Object.assign(run, { status: 'CANCELLED', finishedAt: new Date(), errorCode: ErrorCode.CANCELLED, errorMessage: 'cancelled by operator' });
      log.info('run:cancelled', { read: run.recordsRead });
      return run;
    }
    const readSha = readHash.digest('hex');
    if (readSha !== run.sourceSha256) {
      throw new StrongroomError(ErrorCode.SOURCE_CHANGED, `source file ${def.source.path} changed after it was submitted (SHA-256 ${readSha.slice(0, 12)}… ≠ ${run.sourceSha256.slice(0, 12)}…)`);
    }
    await finalizeRun(ctx.ds, run, def, loadedTotals, runDigest.digest('hex'), stats);
    log.info((run.status as string) === 'SUCCEEDED' ? 'run:succeeded' : 'run:failed', {
      read: run.recordsRead,
      loaded: run.recordsLoaded,
      deadLettered: run.recordsDeadLettered,
      filtered: run.recordsFiltered,
      reconciled: run.reconciled,
      errorCode: run.errorCode,
    });
    return run;
  } catch (err) {
    const e = coerceError(err);
    if (e.code === ErrorCode.INTERNAL) log.error('run:crashed', { error: String((err as Error)?.stack ?? err) });
    const message = e.code === ErrorCode.INTERNAL ? 'internal error (see engine log)' : e.message;
    await ctx.ds
      .query(`UPDATE job_runs SET status = 'FAILED', finished_at = now(), error_code = $2, error_message = $3 WHERE id = $1 AND status IN ('PENDING','RUNNING','PAUSED')`, [
        run.id,
        e.code,
        message,
      ])
      .catch((dbErr) => log.error('run:fail-not-recorded', { error: String(dbErr) }));
    Object.assign(run, { status: 'FAILED', finishedAt: new Date(), errorCode: e.code, errorMessage: message });
    log.warn('run:failed', { errorCode: e.code, message });
    return run;
  } finally {
    source?.close();
    await runner?.release().catch(() => undefined);
    onProgress(run);
  }
}

async function connect(ds: DataSource): Promise<QueryRunner> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  await prepareStaging(pgClientOf(runner));
  return runner;
}

function mapRecords(records: SourceRecord[], mapper: ReturnType<typeof createTransactionMapper>) {
  const valid: CanonicalTransaction[] = [];
  const rejected: Rejection[] = [];
  for (const r of records) {
    const m = mapper.map(r);
    if (m.ok) valid.push(m.txn);
    else rejected.push(m.rejection);
  }
  return { valid, rejected };
}

/** One transaction: rows + dead letters + counters + checkpoint + integrity row. Updates `run` on success. */
async function commitBatch(
  runner: QueryRunner,
  ctx: BatchContext,
  run: JobRunEntity,
  records: SourceRecord[],
  valid: CanonicalTransaction[],
  rejected: Rejection[],
): Promise<BatchResult> {
  const client = pgClientOf(runner);
  const last = records[records.length - 1] as SourceRecord;
  await client.query('BEGIN');
  try {
    const result = await writeBatch(client, ctx, valid, rejected);
    const read = Number(run.recordsRead) + records.length;
    const loaded = Number(run.recordsLoaded) + result.loaded;
    const dead = Number(run.recordsDeadLettered) + result.deadLettered;
    const filteredBy = { ...run.filteredByReason };
    for (const [k, v] of Object.entries(result.filteredByReason)) filteredBy[k] = (filteredBy[k] ?? 0) + v;
    const filtered = Object.values(filteredBy).reduce((a, b) => a + b, 0);
    const batchSeq = run.batchesCommitted + 1;
    await client.query(
      `UPDATE job_runs SET records_read = $2, records_loaded = $3, records_dead_lettered = $4, records_filtered = $5,
              filtered_by_reason = $6, bytes_read = $7, batches_committed = $8 WHERE id = $1`,
      [run.id, read, loaded, dead, filtered, JSON.stringify(filteredBy), last.byteEnd, batchSeq],
    );
    await client.query(
      `INSERT INTO run_checkpoints (run_id, batch_seq, records_read, byte_offset, loaded, dead_lettered, filtered, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (run_id) DO UPDATE SET batch_seq = $2, records_read = $3, byte_offset = $4, loaded = $5,
         dead_lettered = $6, filtered = $7, updated_at = now()`,
      [run.id, batchSeq, read, last.byteEnd, loaded, dead, filtered],
    );
    await client.query(
      `INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details)
       VALUES ($1, $2, 'BATCH', $3, $4, $5, $6)`,
      [run.id, batchSeq, result.loaded, JSON.stringify(totalsToJson(result.totals)), result.digest, JSON.stringify({ firstRecord: records[0]?.recordNo, lastRecord: last.recordNo })],
    );
    await client.query('COMMIT');
    Object.assign(run, {
      recordsRead: String(read),
      recordsLoaded: String(loaded),
      recordsDeadLettered: String(dead),
      recordsFiltered: String(filtered),
      filteredByReason: filteredBy,
      bytesRead: String(last.byteEnd),
      batchesCommitted: batchSeq,
    });
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
