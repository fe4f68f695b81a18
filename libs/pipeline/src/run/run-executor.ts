import { createHash } from 'node:crypto';
import { appendAudit } from '@strongroom/audit';
import { performance } from 'node:perf_hooks';
import { confineSourcePath, type CsvSource, type SourceRecord } from '@strongroom/connectors';
import { type JobRunEntity, type QueryRunner, pgClientOf, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError, coerceError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { withRetry } from '@strongroom/resilience';
import { asDatabaseOutage, isDatabaseOutage } from './db-outage';
import { AdaptiveBatchSize } from './adaptive-batch';
import { commitBatch } from '../load/batch-commit';
import { prepareStaging, sinkLines, type BatchContext, type SinkLines } from '../load/batch-writer';
import { mergeTotals } from '../load/integrity';
import { asFileJob, isBankSource, recordLayout } from '../jobs/job-definition';
import { type JobWithDefinition } from '../jobs/job-store';
import { type RunControl } from './run-control';
import { type RunContext, type RunStats } from './run-context';
import { reconcileBankFile } from './bank-reconcile';
import { mapRecords } from '../load/map-records';
import { finalizeRun } from './run-finalizer';
import { tryLockRun, unlockRun } from './run-lock';
import { endUnpublished, markStarted, RunFencedError, setPaused } from './run-status';
import { loadCommittedBatches, partitionCheckpoint } from './resume-state';
import { openRunSource } from './run-source';
import { fileDigest } from './run-store';
import { complianceChecksFor } from '../compliance/compliance-checks';
import { throughSource } from './source-outage';
import { createTransactionMapper } from '../load/transaction-mapper';
import { tokenizeBankRecord } from '../load/bank-records';
import { type CanonicalTransaction, type Rejection } from '../types';

/** Batches read and mapped ahead of the one committing (CPU work that overlaps the database's). */
const READ_AHEAD = 1;

/**
 * Executes a run from the start (PENDING) or resumes it after its last committed batch (RUNNING or
 * PAUSED after a crash, a shutdown or a pause): streams the source from the checkpoint's byte offset,
 * validates and maps each record, and commits batch by batch (batch-commit.ts). Only one engine
 * executes a run at a time: its session holds the run's advisory lock (released by PostgreSQL if the
 * engine dies). Between batches it obeys `control`: pause (PAUSED until resumed), cancel (CANCELLED,
 * nothing published) or shutdown (stays RUNNING, resumes on restart). The bytes read are hashed and
 * must match the SHA-256 taken at submission. A run that fails publishes nothing.
 */
export async function executeRun(
  ctx: RunContext,
  run: JobRunEntity,
  job: JobWithDefinition,
  control: RunControl,
  onProgress: (run: JobRunEntity) => void,
): Promise<JobRunEntity> {
  const log = ctx.logger.child({ component: 'run', jobId: run.jobId, runId: run.id });
  const actor = ctx.actor ?? 'service:engine';
  const def = asFileJob(job.definition);
  const stats: RunStats = { commitMs: [], peakRssBytes: process.memoryUsage.rss(), startedAt: performance.now() };
  let runner: QueryRunner | undefined;
  let source: CsvSource | undefined;
  const readHash = createHash('sha256');
  const ahead: Promise<PreparedBatch | undefined>[] = [];
  const connect = async () => {
    const r = ctx.ds.createQueryRunner();
    await r.connect();
    if (!(await tryLockRun(r, run.id))) {
      await r.release();
      throw new RunFencedError(run.id, 'is being executed by another engine');
    }
    await prepareStaging(pgClientOf(r));
    return r;
  };
  const disconnect = async (r: QueryRunner | undefined) => {
    if (!r) return;
    await unlockRun(r, run.id);
    await r.release().catch(() => undefined);
  };
  try {
    // the file must be inside the source roots before a single byte of it is read (also for a job saved earlier)
    if (ctx.sourceRoots) confineSourcePath(def.source.path, ctx.sourceRoots);
    runner = await connect();
    const resuming = run.status !== 'PENDING';
    if (resuming) {
      const { sha256 } = await throughSource(ctx.source, def.source.path, () => fileDigest(def.source.path));
      if (sha256 !== run.sourceSha256) {
        throw new StrongroomError(
          ErrorCode.SOURCE_CHANGED,
          `cannot resume: source file ${def.source.path} changed since the run started (SHA-256 differs)`,
        );
      }
    }
    await markStarted(pgClientOf(runner), run, actor, {
      jobVersion: run.jobVersion,
      source: def.source.path,
      sha256: run.sourceSha256,
    });

    const cp = await partitionCheckpoint(sqlExec(runner), run);
    const { totals: loadedTotals, digests: batchDigests } = await loadCommittedBatches(sqlExec(runner), run.id);
    log.info(resuming ? 'run:resumed' : 'run:started', {
      source: def.source.path,
      sha256: run.sourceSha256,
      fromRecord: cp?.recordsRead ?? 0,
      attempt: run.attempts,
    });
    onProgress(run);

    const sourcePath = def.source.path;
    const src = def.source;
    if (isBankSource(src)) {
      // a bank file is reconciled against its own control totals before a single row is written (I4)
      await reconcileBankFile(ctx, run, src, actor, log);
    }
    source = await openRunSource(ctx, src, readHash, cp);
    if (source.dropped.length) {
      // the columns' names go to the log and the audit chain, never their values
      log.warn('source:sensitive-columns-dropped', { columns: source.dropped });
      if (!cp) await auditDroppedColumns(ctx, run, source.dropped, actor);
    }
    const mapper = createTransactionMapper(
      source.header,
      recordLayout(src).mapping,
      ctx.pan,
      def.compliance.notCardData,
    );
    if (!run.sourceHeader) {
      await runner.query('UPDATE job_runs SET source_header = $2 WHERE id = $1', [
        run.id,
        JSON.stringify(source.header),
      ]);
      run.sourceHeader = source.header;
    }
    const batchCtx: BatchContext & { actor: string } = {
      runId: run.id,
      jobId: run.jobId,
      sourceSystem: def.source.system ?? def.name,
      dataClassification: def.compliance.dataClassification,
      checks: complianceChecksFor(def, ctx.screening, ctx.fieldKeys),
      actor,
      ...(ctx.crash ? { crash: ctx.crash } : {}),
    };
    const sizer = new AdaptiveBatchSize(
      def.batching.minSize,
      def.batching.maxSize,
      def.batching.targetCommitMs,
      def.batching.startSize,
    );
    // raw text is held ~4× (fields, canonical line, COPY payload) and up to READ_AHEAD + 1 batches are
    // in memory at once (one committing, the others read ahead): cap raw bytes per batch accordingly
    const maxBatchBytes = Math.floor((def.batching.maxInFlightMB * 1024 * 1024) / (4 * (READ_AHEAD + 1)));
    const reader = source.records(() => ({ records: sizer.current, bytes: maxBatchBytes }))[Symbol.asyncIterator]();
    // reads and maps the next batch (validation, tokenization, PAN detection): CPU work that runs
    // while the database commits the previous batch
    const readBatch = async (): Promise<PreparedBatch | undefined> => {
      const next = await (isBankSource(src)
        ? reader.next()
        : throughSource(ctx.source, sourcePath, () => reader.next()));
      if (next.done) return undefined;
      const records = next.value;
      const mapped = await mapRecords(
        isBankSource(src) ? records.map((r) => tokenizeBankRecord(r, ctx.pan)) : records,
        mapper,
      );
      // encrypted values are made at commit time (a key rotation may finish while a batch waits)
      return { records, ...mapped, lines: batchCtx.checks?.encryption ? undefined : sinkLines(batchCtx, mapped.valid) };
    };
    const commitOne = async ({ records, valid, rejected, filtered, lines }: PreparedBatch) => {
      const last = records[records.length - 1] as SourceRecord;
      const t0 = performance.now();
      const commit = () =>
        commitBatch(pgClientOf(runner as QueryRunner), batchCtx, run, {
          records: records.length,
          firstRecordNo: (records[0] as SourceRecord).recordNo,
          lastRecordNo: last.recordNo,
          position: last.byteEnd,
          valid,
          rejected,
          filtered,
          lines,
        });
      const result = await withRetry(
        () => (ctx.db ? ctx.db.call(commit).catch(asDatabaseOutage) : commit()),
        undefined,
        async (err, attempt) => {
          log.warn('batch:retrying', { attempt: attempt + 1, code: coerceError(err).code });
          await disconnect(runner);
          runner = await (ctx.db ? ctx.db.call(connect) : connect()).catch(asDatabaseOutage);
        },
      );
      const ms = performance.now() - t0;
      stats.commitMs.push(ms);
      ctx.onBatchCommitted?.(def.name, ms);
      sizer.observe(records.length, ms);
      mergeTotals(loadedTotals, result.totals);
      batchDigests.push(result.digest);
      stats.peakRssBytes = Math.max(stats.peakRssBytes, process.memoryUsage.rss());
      log.debug('batch:committed', {
        batchSeq: run.batchesCommitted,
        records: records.length,
        loaded: result.loaded,
        ms: Math.round(ms),
      });
      onProgress(run);
    };
    // batches are read and mapped ahead (up to READ_AHEAD) while the database commits; commits stay
    // strictly in order, and pause, cancel and shutdown are obeyed between commits (a batch read ahead
    // is simply not committed: the checkpoint is where the next attempt starts)
    const more = () => {
      const last = ahead[ahead.length - 1];
      const next = last ? last.then((b) => (b ? readBatch() : undefined)) : readBatch();
      next.catch(() => undefined); // awaited in turn below; a failure surfaces there
      ahead.push(next);
    };
    more();
    for (;;) {
      const batch = await ahead.shift();
      if (!batch) break;
      const request = await obey(ctx, run, control, actor, onProgress);
      if (request !== 'run') return await stop(ctx, run, request, control.requestedBy ?? actor, log);
      while (ahead.length < READ_AHEAD) more();
      await commitOne(batch);
    }
    const request = await obey(ctx, run, control, actor, onProgress);
    if (request !== 'run') return await stop(ctx, run, request, control.requestedBy ?? actor, log);
    const readSha = readHash.digest('hex');
    if (readSha !== run.sourceSha256) {
      throw new StrongroomError(
        ErrorCode.SOURCE_CHANGED,
        `source file ${def.source.path} changed after it was submitted (SHA-256 ${readSha.slice(0, 12)}… ≠ ${run.sourceSha256.slice(0, 12)}…)`,
      );
    }
    const digest = createHash('sha256').update(batchDigests.join('')).digest('hex');
    await finalizeRun(ctx.ds, run, def, loadedTotals, digest, stats, actor);
    log.info((run.status as string) === 'SUCCEEDED' ? 'run:succeeded' : 'run:failed', {
      read: run.recordsRead,
      loaded: run.recordsLoaded,
      deadLettered: run.recordsDeadLettered,
      filtered: run.recordsFiltered,
      reconciled: run.reconciled,
      errorCode: run.errorCode,
      // batches loaded by one direct COPY vs through staging after a collision (performance-tuning.md)
      directCopyBatches: batchCtx.fastPath?.used ?? 0,
      stagedFallbacks: batchCtx.fastPath?.fellBack ?? 0,
    });
    return run;
  } catch (err) {
    if (err instanceof RunFencedError) {
      log.warn('run:fenced', { reason: (err as Error).message });
      return run;
    }
    const e = isDatabaseOutage(err)
      ? new StrongroomError(ErrorCode.DATABASE_UNAVAILABLE, 'database unavailable', { retryable: true, cause: err })
      : coerceError(err);
    if (e.code === ErrorCode.INTERNAL) log.error('run:crashed', { error: String((err as Error)?.stack ?? err) });
    if (e.retryable) {
      // a dependency (database, source) went away for longer than the retries: leave the run RUNNING
      // to resume later; the reason travels in memory to whoever shows the run as paused
      run.statusReason =
        e.code === ErrorCode.DATABASE_UNAVAILABLE
          ? 'database unavailable: waiting for the postgres circuit breaker to close'
          : e.message;
      log.warn('run:interrupted', { errorCode: e.code, message: e.message });
      return run;
    }
    const message = e.code === ErrorCode.INTERNAL ? 'internal error (see engine log)' : e.message;
    await endUnpublished(ctx.ds, run, 'FAILED', e.code, message, actor).catch((dbErr) =>
      log.error('run:fail-not-recorded', { error: String(dbErr) }),
    );
    log.warn('run:failed', { errorCode: e.code, message });
    return run;
  } finally {
    source?.close(); // a read still in flight ends with it (a hung read must not hold the run)
    await Promise.allSettled(ahead);
    await disconnect(runner);
    onProgress(run);
  }
}

/** Applies pause/resume between batches; returns what the run must do next. */
async function obey(
  ctx: RunContext,
  run: JobRunEntity,
  control: RunControl,
  actor: string,
  onProgress: (r: JobRunEntity) => void,
) {
  // the person who asked is the actor of the pause and the resume, not the engine that carries them out
  if (control.requested === 'pause' && run.status !== 'PAUSED') {
    await setPaused(ctx.ds, run, true, 'paused by operator', control.requestedBy ?? actor);
    onProgress(run);
  }
  const next = await control.whilePaused();
  if (next === 'run' && run.status === 'PAUSED') {
    await setPaused(ctx.ds, run, false, null, control.requestedBy ?? actor);
    onProgress(run);
  }
  return next;
}

async function stop(
  ctx: RunContext,
  run: JobRunEntity,
  request: 'cancel' | 'shutdown' | 'pause',
  actor: string,
  log: Logger,
): Promise<JobRunEntity> {
  if (request === 'cancel') {
    await endUnpublished(ctx.ds, run, 'CANCELLED', ErrorCode.CANCELLED, 'cancelled by operator', actor);
    log.info('run:cancelled', { read: run.recordsRead });
  } else {
    log.warn('run:interrupted', { reason: 'engine shutdown', batchesCommitted: run.batchesCommitted });
  }
  return run;
}

interface PreparedBatch {
  records: SourceRecord[];
  valid: CanonicalTransaction[];
  rejected: Rejection[];
  filtered: Record<string, number>;
  lines: SinkLines | undefined;
}

/** `source:columns_dropped`: which sensitive-authentication-data columns a run's file had (names only). */
async function auditDroppedColumns(
  ctx: RunContext,
  run: JobRunEntity,
  columns: string[],
  actor: string,
): Promise<void> {
  await ctx.ds.transaction((em) =>
    appendAudit(sqlExec(em), {
      actor,
      action: 'source:columns_dropped',
      subject: { jobId: run.jobId, runId: run.id },
      details: { columns, reason: 'sensitive authentication data (PCI DSS 3.3.1): never stored' },
    }),
  );
}
