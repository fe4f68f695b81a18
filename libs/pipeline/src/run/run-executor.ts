import { createHash } from 'node:crypto';
import { appendAudit } from '@strongroom/audit';
import { performance } from 'node:perf_hooks';
import { VelocityRouting } from '@strongroom/compliance';
import { confineSourcePath, LineBuffer, type CsvSource } from '@strongroom/connectors';
import { type JobRunEntity, type QueryRunner, discardQueryRunner, pgClientOf, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError, coerceError } from '@strongroom/errors';
import { type Logger, redactPans } from '@strongroom/logging';
import { withRetry } from '@strongroom/resilience';
import { asDatabaseOutage, isDatabaseOutage } from './db-outage';
import { AdaptiveBatchSize } from './adaptive-batch';
import { commitBatch } from '../load/batch-commit';
import { prepareStaging, sinkLines, type BatchContext, type SinkLines } from '../load/batch-writer';
import {
  asFileJob,
  isBankSource,
  recordLayout,
  sourceSystem,
  type KycSource,
  type RunFileJob,
} from '../jobs/job-definition';
import { readKycFile } from '../kyc/kyc-records';
import { commitKycRun } from '../kyc/kyc-run';
import { type JobWithDefinition } from '../jobs/job-store';
import { type RunControl } from './run-control';
import { type RunContext, type RunStats } from './run-context';
import { reconcileBankFile } from './bank-reconcile';
import { mapRecords } from '../load/map-records';
import { finalizeRun } from './run-finalizer';
import {
  endUnpublished,
  markStarted,
  PartitionFencedError,
  RunFencedError,
  RunPausedError,
  setPaused,
} from './run-status';
import { loadCommittedBatches } from './resume-state';
import {
  allPartitionsDone,
  BATCH_WORKER_APPLICATION_NAME,
  claimPartition,
  endStuckHolders,
  finishPartition,
  recordFencedBatch,
  releaseLease,
  renewLease,
  type PartitionLease,
} from './partition-lease';
import { DEFAULT_PARTITION_BYTES, planCsvPartitions, singlePartition } from './partition-plan';
import { openRunSource } from './run-source';
import { fileDigest, getRun } from './run-store';
import { complianceChecksFor, prepareAhead, type PreparedAmlInputs } from '../compliance/compliance-checks';
import { throughSource } from './source-outage';
import { createTransactionMapper } from '../load/transaction-mapper';
import { tokenizeBankRecord } from '../load/bank-records';
import { type CanonicalTransaction, type Rejection } from '../types';

/** Batches read and mapped ahead of the one committing (CPU work that overlaps the database's). */
const READ_AHEAD = 1;
/** Records read and mapped at a time within a batch (short-lived parsed fields). */
const READ_PIECE = 1024;

/** Default lease of a partition (ENGINE_LEASE_TTL_MS), renewed every third of it. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/**
 * Works on a file run until nothing of it is left for this replica: starts it (PENDING: plans its
 * partitions — byte ranges cut at record boundaries, partition-plan.ts — and marks it RUNNING with them),
 * then claims its open partitions one after another under a lease (partition-lease.ts) and loads each
 * from its checkpoint, batch by batch (batch-commit.ts, fenced by the lease); the replica that finishes
 * the last partition finalizes the run (conservation and exact totals over all partitions, I1/I4). Any
 * number of replicas may do this for one run at once. Between batches it obeys `control`: pause
 * (PAUSED; the partition is given back), cancel (CANCELLED, nothing published) or shutdown (the
 * partition is given back; any replica resumes it). The bytes of each partition are hashed and must
 * match its planned SHA-256 (and the plan the file's, taken at submission). A run that fails publishes nothing.
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
  const owner = ctx.replicaId ?? `engine-${process.pid}`;
  const ttlMs = ctx.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  // the run's own file: its definition's source path, or the file it was started on (`run --file`)
  const defined = asFileJob(job.definition);
  const def: RunFileJob = { ...defined, source: { ...defined.source, path: run.sourcePath } };
  const stats: RunStats = { commitMs: [], peakRssBytes: process.memoryUsage.rss(), startedAt: performance.now() };
  let runner: QueryRunner | undefined;
  const connect = async () => {
    const r = ctx.ds.createQueryRunner();
    await r.connect();
    try {
      // a batch stuck in flight (a frozen replica) holds its partition's row lock; its session ends
      // well before the lease would expire, so the lock does not outlive the lease
      // — nor a statement of a replica frozen mid-COPY (a lock holder that is not idle)
      // — and as a batch worker, it may be ended by the replica that finds it holding an expired lease
      // past any timeout (endStuckHolders: a replica frozen mid-COPY)
      await r.query(
        `SELECT set_config('idle_in_transaction_session_timeout', $1, false), set_config('statement_timeout', $2, false),
                set_config('application_name', $3, false)`,
        [String(Math.max(2000, Math.floor(ttlMs / 2))), String(Math.max(10_000, ttlMs)), BATCH_WORKER_APPLICATION_NAME],
      );
      await prepareStaging(pgClientOf(r));
    } catch (err) {
      await disconnect(r);
      throw err;
    }
    return r;
  };
  const disconnect = async (r: QueryRunner | undefined) => {
    if (!r) return;
    // the session goes back to the pool as an ordinary one (its temporary staging table stays) — or, when its
    // settings cannot be reset, is closed rather than handed out again as a batch worker
    const reset = await r
      .query('RESET application_name; RESET statement_timeout; RESET idle_in_transaction_session_timeout')
      .then(
        () => true,
        () => false,
      );
    await (reset ? r.release() : discardQueryRunner(r)).catch(() => undefined);
  };
  let lease: PartitionLease | undefined;
  try {
    // the file must be inside the source roots before a single byte of it is read (also for a job saved
    // earlier), and what is read is the file that was checked: its real path (a symlink swapped afterwards
    // changes nothing)
    if (ctx.sourceRoots) def.source.path = confineSourcePath(def.source.path, ctx.sourceRoots);
    // a job whose compliance cannot be carried out (no sanctions list, no key ring) fails here, before the start;
    // a run starts with the sanctions lists in force (another replica may have loaded new ones). A replica
    // joining a run already going screens with the lists it holds; one that cannot load the lists in force
    // gives the run back to the others rather than fail it
    if (run.status === 'PENDING') await ctx.screening?.refresh?.();
    else if (
      def.compliance.frameworks.includes('AML') &&
      def.compliance.sanctions === 'required' &&
      (ctx.screening?.unavailable || !ctx.screening?.screener)
    ) {
      await ctx.screening?.refresh?.().catch(() => undefined); // the files may be back, or lists were loaded since
      if (ctx.screening?.unavailable || !ctx.screening?.screener)
        throw new StrongroomError(
          ErrorCode.UNAVAILABLE,
          ctx.screening?.unavailable ?? 'no sanctions list is loaded on this replica',
          { retryable: true },
        );
    }
    const batchCtx: BatchContext & { actor: string } = {
      runId: run.id,
      jobId: run.jobId,
      sourceSystem: sourceSystem(def),
      dataClassification: def.compliance.dataClassification,
      checks: complianceChecksFor(def, ctx.screening, ctx.fieldKeys),
      actor,
      ...(ctx.crash ? { crash: ctx.crash } : {}),
    };
    if (run.status === 'PENDING') await startRun(ctx, run, def, actor, log);
    onProgress(run);

    runner = await connect();
    const worker: PartitionWorker = {
      ctx,
      run,
      def,
      control,
      actor,
      ttlMs,
      log,
      stats,
      batchCtx,
      onProgress,
      runner: () => runner as QueryRunner,
      reconnect: async () => {
        await disconnect(runner);
        runner = await (ctx.db ? ctx.db.call(connect) : connect()).catch(asDatabaseOutage);
      },
    };
    let last = false;
    while (!last) {
      lease = await claimPartition(ctx.ds, run, owner, ttlMs);
      if (!lease) {
        // an expired partition still locked past every timeout: its holder froze mid-COPY — end it, then claim
        const ended = await endStuckHolders(ctx.ds, run, owner, ttlMs);
        for (const h of ended) log.warn('partition:holder-ended', { ...h });
        if (ended.length) lease = await claimPartition(ctx.ds, run, owner, ttlMs);
      }
      if (!lease) break;
      log.info('partition:claimed', {
        partitionNo: lease.partitionNo,
        epoch: lease.epoch,
        fromByte: lease.byteOffset,
        ...(lease.previousOwner ? { previousOwner: lease.previousOwner } : {}),
      });
      const outcome = def.source.kind === 'kyc' ? await kycPartition(worker, lease) : await runPartition(worker, lease);
      if (outcome === 'stopped' || def.source.kind === 'kyc') return run; // a KYC run ends in its one transaction
      lease = undefined;
      last = outcome === 'last';
    }
    // nothing left to claim: the replica that ended the last partition finalizes (or, if that replica
    // died in between, whoever finds every partition done)
    if (!last && !(await allPartitionsDone(sqlExec(ctx.ds), run.id))) return run;
    await finalize(ctx, run, def, stats, actor, log, batchCtx);
    return run;
  } catch (err) {
    if (err instanceof RunFencedError) {
      if (err instanceof PartitionFencedError && lease)
        await recordFencedBatch(ctx.ds, run, lease, err.message).catch(() => undefined);
      log.warn('run:fenced', { reason: (err as Error).message });
      if (err instanceof RunPausedError && lease) await releaseLease(ctx.ds, lease).catch(() => undefined);
      Object.assign(run, await getRun(ctx.ds, run.id).catch(() => run));
      return run;
    }
    const e = isDatabaseOutage(err)
      ? new StrongroomError(ErrorCode.DATABASE_UNAVAILABLE, 'database unavailable', { retryable: true, cause: err })
      : coerceError(err);
    if (e.code === ErrorCode.INTERNAL) log.error('run:crashed', { error: String((err as Error)?.stack ?? err) });
    if (e.retryable) {
      // a dependency (database, source) went away for longer than the retries: leave the run RUNNING
      // (the partition goes back, or its lease runs out) to resume later; the reason travels in memory
      // to whoever shows the run as paused
      if (lease) await releaseLease(ctx.ds, lease).catch(() => undefined);
      run.statusReason =
        e.code === ErrorCode.DATABASE_UNAVAILABLE
          ? 'database unavailable: waiting for the postgres circuit breaker to close'
          : e.message;
      control.interrupted = run.statusReason;
      log.warn('run:interrupted', { errorCode: e.code, message: e.message });
      return run;
    }
    if (lease && !(await renewLease(ctx.ds, lease, ttlMs).catch(() => false))) {
      // a replica that lost its partition (frozen, cut off) says nothing about the run: another one has it
      await recordFencedBatch(ctx.ds, run, lease, `lease lost, then: ${e.code}`).catch(() => undefined);
      log.warn('run:fenced', { reason: 'lease lost', errorCode: e.code });
      return run;
    }
    const message = e.code === ErrorCode.INTERNAL ? 'internal error (see engine log)' : e.message;
    await endUnpublished(ctx.ds, run, 'FAILED', e.code, message, actor).catch((dbErr) =>
      log.error('run:fail-not-recorded', { error: String(dbErr) }),
    );
    log.warn('run:failed', { errorCode: e.code, message });
    return run;
  } finally {
    await disconnect(runner);
    onProgress(run);
  }
}

/**
 * PENDING → RUNNING with the plan: the file is read once more (its SHA-256 must still be the one taken at
 * submission) and cut into partitions — a CSV or JSON lines file at record boundaries every STRONGROOM_PARTITION_BYTES,
 * a bank file as one partition. If another replica started the run meanwhile, this one joins it.
 */
async function startRun(ctx: RunContext, run: JobRunEntity, def: RunFileJob, actor: string, log: Logger) {
  const src = def.source;
  const plan =
    isBankSource(src) || src.kind === 'kyc'
      ? await throughSource(ctx.source, src.path, () => fileDigest(src.path)).then((d) => ({
          ...d,
          partitions: singlePartition(d.bytes, d.sha256),
        }))
      : await throughSource(ctx.source, src.path, () =>
          planCsvPartitions({
            path: src.path,
            ...(src.kind === 'jsonl' ? { jsonl: true } : { delimiter: src.delimiter }),
            partitionBytes: ctx.partitionBytes ?? DEFAULT_PARTITION_BYTES,
          }),
        );
  if (plan.sha256 !== run.sourceSha256) {
    throw new StrongroomError(
      ErrorCode.SOURCE_CHANGED,
      `source file ${src.path} changed after it was submitted (SHA-256 ${plan.sha256.slice(0, 12)}… ≠ ${run.sourceSha256.slice(0, 12)}…)`,
    );
  }
  ctx.crash?.('run:planned'); // test-only: the planning replica dies before the run is RUNNING
  const runner = ctx.ds.createQueryRunner();
  try {
    await runner.connect();
    await markStarted(
      pgClientOf(runner),
      run,
      actor,
      { jobVersion: run.jobVersion, source: src.path, sha256: run.sourceSha256 },
      plan.partitions,
    );
    log.info('run:started', { source: src.path, sha256: run.sourceSha256, partitions: plan.partitions.length });
  } catch (err) {
    if (!(err instanceof RunFencedError)) throw err;
    Object.assign(run, await getRun(ctx.ds, run.id)); // another replica started it: join
  } finally {
    await runner.release().catch(() => undefined);
  }
}

interface PartitionWorker {
  ctx: RunContext;
  run: JobRunEntity;
  def: RunFileJob;
  control: RunControl;
  actor: string;
  ttlMs: number;
  log: Logger;
  stats: RunStats;
  batchCtx: BatchContext & { actor: string };
  onProgress: (run: JobRunEntity) => void;
  runner: () => QueryRunner;
  reconnect: () => Promise<void>;
}

/**
 * Loads one claimed partition from its checkpoint to its end, renewing the lease every third of its
 * TTL. Returns 'done' (more partitions may be open), 'last' (it was the run's last open partition) or
 * 'stopped' (pause, cancel or shutdown obeyed; the partition was given back or the run ended).
 */
async function runPartition(w: PartitionWorker, lease: PartitionLease): Promise<'done' | 'last' | 'stopped'> {
  const { ctx, run, def, control, actor, log, stats, batchCtx, onProgress } = w;
  const src = def.source;
  const readHash = createHash('sha256');
  const ahead: Promise<PreparedBatch | undefined>[] = [];
  let source: CsvSource | undefined;
  // the lease is renewed on its own (pooled) connection, and by each committed batch; once it is lost —
  // taken over, or not renewed in time while no batch of ours held the partition row — nothing more is
  // read, and the batch in flight is fenced at its commit
  let lost: string | undefined;
  let renewedAt = performance.now();
  let committing = false;
  let renewing = false;
  const beat = setInterval(
    () => {
      if (!committing && performance.now() - renewedAt > w.ttlMs) lost ??= 'the lease was not renewed within its TTL';
      if (lost) source?.close();
      if (renewing || lost) return;
      renewing = true;
      const t0 = performance.now();
      renewLease(ctx.ds, lease, w.ttlMs)
        .then((held) => {
          if (held) renewedAt = Math.max(renewedAt, t0);
          else lost ??= 'the lease was taken over';
          if (lost) source?.close();
        })
        .catch(() => undefined) // an outage: the deadline above decides
        .finally(() => (renewing = false));
    },
    Math.max(100, Math.floor(w.ttlMs / 3)),
  );
  try {
    if (isBankSource(src)) {
      // a bank file is reconciled against its own control totals before a single row is written (I4)
      await reconcileBankFile(ctx, run, src, actor, log);
    }
    const cp = lease.batchSeq > 0 ? { recordsRead: lease.recordsRead, byteOffset: lease.byteOffset } : undefined;
    source = await openRunSource(ctx, src, readHash, cp, lease);
    if (source.dropped.length) {
      // the columns' names go to the log and the audit chain, never their values
      log.warn('source:sensitive-columns-dropped', { columns: source.dropped });
      if (lease.partitionNo === 0 && lease.epoch === 1) await auditDroppedColumns(ctx, run, source.dropped, actor);
    }
    const mapper = createTransactionMapper(
      source.header,
      recordLayout(src).mapping,
      ctx.pan,
      def.compliance.notCardData,
    );
    if (!run.sourceHeader) {
      // the header as stored (for replays) passes the card-data detector: a column may be named after a card
      // number; no mapped column can be (the job definition refuses it), so replays map the same columns
      const header = source.header.map((h) => redactPans(h));
      await ctx.ds.query('UPDATE job_runs SET source_header = $2 WHERE id = $1 AND source_header IS NULL', [
        run.id,
        JSON.stringify(header),
      ]);
      run.sourceHeader = header;
    }
    const sizer = new AdaptiveBatchSize(
      def.batching.minSize,
      def.batching.maxSize,
      def.batching.targetCommitMs,
      def.batching.startSize,
    );
    // up to READ_AHEAD + 1 batches are in memory at once (one committing, the others read ahead): the raw
    // bytes of one batch are capped at maxInFlightMB / (4 × that). A batch holds about 8–9 bytes of memory
    // per raw byte (measured: its row objects about 5, its canonical and COPY bytes about 3.5), so the
    // batches in flight take about twice maxInFlightMB (docs/performance.md)
    const maxBatchBytes = Math.floor((def.batching.maxInFlightMB * 1024 * 1024) / (4 * (READ_AHEAD + 1)));
    // a batch is read in pieces, each mapped and rendered as soon as it is read: a record's field array
    // and parse state die young (the garbage collector never copies them), and the batch keeps only its
    // rows and their bytes
    let want = 0;
    let wantBytes = 0;
    // the source position after the last piece read (file bytes: CSV and JSON lines records end at byteEnd)
    let readTo: number | undefined;
    const bytesPerRow = { canonical: 192, copy: 256 };
    const pieces = source.records(() => ({
      records: Math.max(1, Math.min(READ_PIECE, want)),
      bytes: Math.max(1, wantBytes),
    }));
    const reader = pieces[Symbol.asyncIterator]();
    // the VELOCITY check's routing by the accounts' windows so far (batches are read in order)
    const velocityRouting = batchCtx.checks?.aml && new VelocityRouting(batchCtx.checks.aml.velocity);
    // reads and maps the next batch (validation, tokenization, PAN detection): CPU work that runs
    // while the database commits the previous batch
    const readBatch = async (): Promise<PreparedBatch | undefined> => {
      want = sizer.current;
      wantBytes = maxBatchBytes;
      let batch: PreparedBatch | undefined;
      while (want > 0 && wantBytes > 0) {
        if (lost) return undefined;
        const next = await (isBankSource(src)
          ? reader.next()
          : throughSource(ctx.source, src.path, () => reader.next()));
        if (next.done) break;
        const records = next.value;
        // a piece read from the buffer continues without returning to the event loop: let the commit in flight
        // send its next statement (else a batch's pieces hold the loop for tens of milliseconds at a stretch)
        if (batch) await new Promise<void>((resolve) => setImmediate(resolve));
        const first = records[0];
        const last = records[records.length - 1];
        if (!first || !last) continue;
        batch ??= {
          records: 0,
          firstRecordNo: first.recordNo,
          lastRecordNo: first.recordNo,
          position: first.byteEnd,
          valid: [],
          rejected: [],
          filtered: {},
          // encrypted values are made at commit time (a key rotation may finish while a batch waits)
          lines: batchCtx.checks?.encryption
            ? undefined
            : {
                // sized for the batch from the last one's bytes per record (growing copies the bytes), and
                // no larger than the cap on its raw bytes allows (a line is about 1.6–2 times its raw text)
                canonical: new LineBuffer(Math.min(want * bytesPerRow.canonical, 2 * wantBytes)),
                copy: new LineBuffer(Math.min(want * bytesPerRow.copy, 2.5 * wantBytes)),
              },
        };
        const from = batch.valid.length;
        await mapRecords(
          isBankSource(src) ? records.map((r) => tokenizeBankRecord(r, ctx.pan)) : records,
          mapper,
          batch,
        );
        if (batch.lines) sinkLines(batchCtx, batch.valid.slice(from), batch.lines);
        batch.records += records.length;
        batch.lastRecordNo = last.recordNo;
        batch.position = last.byteEnd;
        want -= records.length;
        // the piece's bytes in the file, as the source counts them toward the cap (a bank statement's records
        // end at chunk boundaries: their text length is what its reader counts; the first piece of a file
        // has no position before it: its records' UTF-8 bytes and line breaks)
        if (isBankSource(src)) for (const r of records) wantBytes -= r.raw.length;
        else if (readTo === undefined) for (const r of records) wantBytes -= Buffer.byteLength(r.raw) + 1;
        else wantBytes -= last.byteEnd - readTo;
        readTo = last.byteEnd;
      }
      // what the batch's AML statements take from its rows, worked out now rather than while the database waits
      if (batch) batch.aml = await prepareAhead(batchCtx.checks, batch.valid, velocityRouting, batchCtx);
      if (batch?.lines && batch.valid.length) {
        // per record read (rejected ones write no line), with a tenth to spare: a batch a little wider than
        // the last one must not copy its bytes again
        bytesPerRow.canonical = Math.ceil((1.1 * batch.lines.canonical.byteLength) / batch.records);
        bytesPerRow.copy = Math.ceil((1.1 * batch.lines.copy.byteLength) / batch.records);
      }
      return batch;
    };
    const commitOne = async (batch: PreparedBatch) => {
      const { records } = batch;
      const t0 = performance.now();
      const commit = () => commitBatch(pgClientOf(w.runner()), batchCtx, run, { ...batch, lease });
      committing = true;
      try {
        await withRetry(
          () => (ctx.db ? ctx.db.call(commit).catch(asDatabaseOutage) : commit()),
          undefined,
          async (err, attempt) => {
            log.warn('batch:retrying', { attempt: attempt + 1, code: coerceError(err).code });
            await w.reconnect();
          },
        );
        renewedAt = Math.max(renewedAt, t0); // the commit renewed the lease from a moment after t0
      } finally {
        committing = false;
      }
      const ms = performance.now() - t0;
      stats.commitMs.push(ms);
      ctx.onBatchCommitted?.(def.name, ms);
      sizer.observe(records, ms);
      stats.peakRssBytes = Math.max(stats.peakRssBytes, process.memoryUsage.rss());
      log.debug('batch:committed', {
        batchSeq: run.batchesCommitted,
        partitionNo: lease.partitionNo,
        records,
        ms: Math.round(ms),
      });
      onProgress(run);
    };
    // batches are read and mapped ahead (up to READ_AHEAD) while the database commits; commits stay
    // strictly in order, and pause, cancel and shutdown are obeyed between commits (a batch read ahead
    // is simply not committed: the checkpoint is where the next attempt starts)
    const more = () => {
      const prev = ahead[ahead.length - 1];
      const next = prev ? prev.then((b) => (b ? readBatch() : undefined)) : readBatch();
      next.catch(() => undefined); // awaited in turn below; a failure surfaces there
      ahead.push(next);
    };
    more();
    for (;;) {
      const batch = await ahead.shift();
      if (lost) throw new PartitionFencedError(run.id, lease.partitionNo, lease.epoch);
      if (!batch) break;
      const request = await obey(ctx, run, control, actor, onProgress);
      if (request !== 'run')
        return await stop(ctx, run, lease, request, control.requestedBy ?? actor, log, control.reason);
      while (ahead.length < READ_AHEAD) more();
      await commitOne(batch);
    }
    const request = await obey(ctx, run, control, actor, onProgress);
    if (request !== 'run')
      return await stop(ctx, run, lease, request, control.requestedBy ?? actor, log, control.reason);
    const readSha = readHash.digest('hex');
    const planned = lease.sha256 ?? run.sourceSha256; // a run planned before partitions had one, the whole file
    if (readSha !== planned) {
      throw new StrongroomError(
        ErrorCode.SOURCE_CHANGED,
        `source file ${src.path} changed after it was submitted (SHA-256 of bytes ${lease.startByte}–${lease.endByte} ${readSha.slice(0, 12)}… ≠ ${planned.slice(0, 12)}…)`,
      );
    }
    source.close();
    const finished = await finishPartition(ctx.ds, lease);
    if (!finished) throw new PartitionFencedError(run.id, lease.partitionNo, lease.epoch);
    log.info('partition:done', { partitionNo: lease.partitionNo, epoch: lease.epoch, last: finished.last });
    return finished.last ? 'last' : 'done';
  } finally {
    clearInterval(beat);
    source?.close(); // a read still in flight ends with it (a hung read must not hold the run)
    await Promise.allSettled(ahead);
  }
}

/**
 * A KYC job's run (its one partition): the file is read and validated whole, checked against the digest
 * taken at submission, then loaded and the run ended in one transaction (kyc-run.ts). Pause, cancel and
 * shutdown are obeyed before that transaction; a replica that stops before it leaves nothing behind.
 */
async function kycPartition(w: PartitionWorker, lease: PartitionLease): Promise<'last' | 'stopped'> {
  const { ctx, run, def, control, actor, log, stats, onProgress } = w;
  const src = def.source as KycSource & { path: string };
  const readHash = createHash('sha256');
  // the lease is renewed while the file is read (a large register takes longer than a lease); the commit is
  // fenced by it all the same
  const beat = setInterval(
    () => void renewLease(ctx.ds, lease, w.ttlMs).catch(() => undefined),
    Math.max(100, Math.floor(w.ttlMs / 3)),
  );
  let kyc: Awaited<ReturnType<typeof readKycFile>>;
  try {
    kyc = await throughSource(ctx.source, src.path, () =>
      readKycFile(src.path, { delimiter: src.delimiter, hash: readHash }),
    );
  } finally {
    clearInterval(beat);
  }
  const readSha = readHash.digest('hex');
  if (readSha !== run.sourceSha256)
    throw new StrongroomError(
      ErrorCode.SOURCE_CHANGED,
      `source file ${src.path} changed after it was submitted (SHA-256 ${readSha.slice(0, 12)}… ≠ ${run.sourceSha256.slice(0, 12)}…)`,
    );
  const request = await obey(ctx, run, control, actor, onProgress);
  if (request !== 'run') return stop(ctx, run, lease, request, control.requestedBy ?? actor, log, control.reason);
  stats.peakRssBytes = Math.max(stats.peakRssBytes, process.memoryUsage.rss());
  await commitKycRun(ctx.ds, run, def, lease, kyc, stats, actor);
  log.info(run.status === 'SUCCEEDED' ? 'run:succeeded' : 'run:failed', {
    read: run.recordsRead,
    loaded: run.recordsLoaded,
    deadLettered: run.recordsDeadLettered,
    errorCode: run.errorCode,
  });
  return 'last';
}

/**
 * Ends the run once every partition is done: counters, totals and digests are read back from the
 * database (they were committed by any number of replicas), then the finalizer checks conservation and
 * exact per-currency totals and publishes — guarded, so it happens once.
 */
async function finalize(
  ctx: RunContext,
  run: JobRunEntity,
  def: RunFileJob,
  stats: RunStats,
  actor: string,
  log: Logger,
  batchCtx: BatchContext,
) {
  Object.assign(run, await getRun(ctx.ds, run.id));
  if (run.status !== 'RUNNING') return;
  ctx.crash?.('run:finalizing'); // test-only: the finalizing replica dies before the run ends
  // the run's rate is over its whole time since it started (on the database's clock), whichever replicas
  // loaded it — not over this replica's part (the batch latencies and memory are this replica's own)
  const [since] = (await ctx.ds.query(
    `SELECT extract(epoch FROM clock_timestamp() - started_at)::float8 AS s FROM job_runs WHERE id = $1`,
    [run.id],
  )) as { s: number | null }[];
  if (since?.s != null) stats.startedAt = performance.now() - since.s * 1000;
  const { totals, digests } = await loadCommittedBatches(sqlExec(ctx.ds), run.id);
  const digest = createHash('sha256').update(digests.join('')).digest('hex');
  await finalizeRun(ctx.ds, run, def, totals, digest, stats, actor);
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
}

/** The status text of a pause or cancel an operator asked for: with their reason when they gave one. */
export function stopReason(what: 'paused' | 'cancelled', reason: string | undefined): string {
  return reason ? `${what} by operator: ${reason}` : `${what} by operator`;
}

/** Applies a pause between batches (PAUSED, audited as the requester's); returns what the run must do next. */
async function obey(
  ctx: RunContext,
  run: JobRunEntity,
  control: RunControl,
  actor: string,
  onProgress: (r: JobRunEntity) => void,
) {
  // the person who asked is the actor of the pause, not the engine that carries it out
  if (control.requested === 'pause' && run.status !== 'PAUSED') {
    const reason = stopReason('paused', control.reason);
    if (await setPaused(ctx.ds, run, true, reason, control.requestedBy ?? actor)) onProgress(run);
  }
  return control.requested;
}

/** Pause, cancel, shutdown or release between batches: the partition goes back (or the run ends unpublished). */
async function stop(
  ctx: RunContext,
  run: JobRunEntity,
  lease: PartitionLease,
  request: 'cancel' | 'shutdown' | 'pause' | 'release',
  actor: string,
  log: Logger,
  reason?: string,
): Promise<'stopped'> {
  if (request === 'cancel') {
    await endUnpublished(ctx.ds, run, 'CANCELLED', ErrorCode.CANCELLED, stopReason('cancelled', reason), actor);
    log.info('run:cancelled', { read: run.recordsRead });
    return 'stopped';
  }
  await releaseLease(ctx.ds, lease);
  if (request === 'pause') log.info('run:paused', { read: run.recordsRead, partitionNo: lease.partitionNo });
  else if (request === 'release') log.info('partition:released', { partitionNo: lease.partitionNo });
  else log.warn('run:interrupted', { reason: 'engine shutdown', partitionNo: lease.partitionNo });
  return 'stopped';
}

/** A batch read and mapped ahead of its commit: its records' span, and its rows (as objects and as bytes). */
interface PreparedBatch {
  /** Records read (valid, rejected and filtered). */
  records: number;
  firstRecordNo: number;
  lastRecordNo: number;
  /** The source position just past the last record (the checkpoint). */
  position: number;
  valid: CanonicalTransaction[];
  rejected: Rejection[];
  filtered: Record<string, number>;
  lines: SinkLines | undefined;
  /** What the AML statements take from the valid rows (AML jobs). */
  aml?: PreparedAmlInputs;
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
