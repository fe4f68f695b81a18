import { createHash } from 'node:crypto';
import { type PoolClient } from 'pg';
import { type DataSource, type JobRunEntity, pgClientOf, sqlExec } from '@strongroom/db';
import { VelocityRouting } from '@strongroom/compliance';
import { ErrorCode, StrongroomError, pgErrorCode } from '@strongroom/errors';
import { insertRunOnce } from './run-store';
import { isDatabaseOutage } from './db-outage';
import { AlreadyCommittedError, commitBatch, commitStreamGroup } from '../load/batch-commit';
import { LineBuffer } from '@strongroom/connectors';
import { prepareStaging, sinkLines, type BatchContext, type BatchResult, type SinkLines } from '../load/batch-writer';
import { mergeTotals, type Totals } from '../load/integrity';
import { markStreamOpened } from './run-status';
import { loadCommittedBatches } from './resume-state';
import { CANONICAL_FIELDS, CANONICAL_MAPPING, sourceSystem, type CanonicalField } from '../jobs/job-definition';
import { getJob, type JobWithDefinition } from '../jobs/job-store';
import { finalizeRun } from './run-finalizer';
import { RunLockHolder } from './run-lock';
import { type RunContext, type RunStats } from './run-context';
import { createTransactionMapper, type TransactionMapper } from '../load/transaction-mapper';
import { type CanonicalTransaction, type Rejection } from '../types';
import { complianceChecksFor, prepareAhead, type PreparedAmlInputs } from '../compliance/compliance-checks';

/** One streamed record: canonical field → value ('' = absent). */
export type IngestRecordInput = Partial<Record<CanonicalField, string>>;

/** A batch checked and mapped ahead of its commit (IngestSession.prepare). */
export interface PreparedIngestBatch {
  idempotencyKey: string;
  records: IngestRecordInput[];
  /** Records read before this batch, as assumed when it was mapped (its first record is readBefore + 1). */
  readBefore: number;
  valid: CanonicalTransaction[];
  rejected: Rejection[];
  /** The valid rows' COPY and digest bytes (none when fields are encrypted: made at commit time). */
  lines: SinkLines | undefined;
  /** What the AML checks take from the valid rows, and their names being screened (AML jobs, as lines). */
  aml?: PreparedAmlInputs;
}

export interface IngestAck {
  idempotencyKey: string;
  duplicate: boolean;
  batchSeq: number;
  accepted: number;
  filtered: number;
  rejected: { index: number; reasonCode: string; message: string; field: string }[];
  read: number;
  loaded: number;
  deadLettered: number;
}

const KEY = /^[\x21-\x7e]{1,128}$/;
const MAX_BATCH = 50_000;
/** Records mapped between two turns of the event loop while a batch is prepared ahead (about 0.5 ms). */
const YIELD_EVERY = 50;
/** Each canonical field's JSON key with its colon. */
const JSON_KEYS = CANONICAL_FIELDS.map((f) => `${JSON.stringify(f)}:`);

/**
 * A streamed record's source text (what its dead letter keeps): a JSON object of its non-empty fields in
 * canonical order. Built by hand, a third of the cost of `JSON.stringify` over an object made for it, with the
 * same text.
 */
export function rawJson(r: IngestRecordInput): string {
  let raw = '{';
  for (let i = 0; i < CANONICAL_FIELDS.length; i++) {
    const v = r[CANONICAL_FIELDS[i] as CanonicalField];
    if (v) raw += `${raw.length > 1 ? ',' : ''}${JSON_KEYS[i] as string}${JSON.stringify(v)}`;
  }
  return `${raw}}`;
}

/** An ack without the run's counters (added when it is answered) and the duplicate flag. */
type AckBody = Omit<IngestAck, 'duplicate' | 'read' | 'loaded' | 'deadLettered'>;

/** A committed batch's answer (what a re-send of its key is answered with, too); `base` is the records before it. */
function ackBody(idempotencyKey: string, base: number, batchSeq: number, r: BatchResult): AckBody {
  return {
    idempotencyKey,
    batchSeq,
    accepted: r.loaded,
    filtered: Object.values(r.filteredByReason).reduce((a, b) => a + b, 0),
    rejected: r.rejections.map((x) => ({
      index: x.recordNo - base - 1,
      reasonCode: x.code,
      message: x.message,
      field: x.field ?? '',
    })),
  };
}

/** Suggested wait before re-sending a batch while the database breaker is open (seconds). */
const RETRY_HINT_S = 2;

/**
 * A gRPC ingest stream writing into one run of a job whose source kind is `grpc`. The stream_id makes
 * opening idempotent (the same id continues the same run after a disconnect). Each batch commits in
 * one transaction together with its idempotency key, so a re-sent batch is answered from the stored
 * result and loads nothing. While open, the session holds the run's advisory lock (one writer per run)
 * on the engine's shared lock connection; it borrows a pooled connection only while a batch commits.
 */
export class IngestSession {
  private constructor(
    private readonly ctx: RunContext,
    readonly run: JobRunEntity,
    private readonly job: JobWithDefinition,
    private readonly locks: RunLockHolder,
    private readonly mapper: TransactionMapper,
    private readonly loadedTotals: Totals,
    private readonly digests: string[],
    readonly resumed: boolean,
  ) {}

  /**
   * The direct COPY's back-off across the stream's batches (FastPathState): a stream whose rows collided once
   * (a replay of data loaded before) goes through staging for the next batches, and is not grouped meanwhile.
   */
  private readonly fastPath: NonNullable<BatchContext['fastPath']> = { skip: 0, penalty: 1, used: 0, fellBack: 0 };

  /** The VELOCITY check's routing by the stream's accounts so far (VelocityRouting); made with the first AML batch. */
  private velocityRouting: VelocityRouting | undefined;

  /** Commit times (one per transaction: a group commit is one) and peak memory, for the run's performance_metrics. */
  private readonly stats: RunStats = {
    commitMs: [],
    peakRssBytes: process.memoryUsage.rss(),
    startedAt: performance.now(),
  };

  static async open(ctx: RunContext, jobId: string, streamId: string, actor: string): Promise<IngestSession> {
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(streamId))
      throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'stream_id must be 1–128 characters [A-Za-z0-9._:-]');
    const job = await getJob(ctx.ds, jobId);
    if (job.definition.source.kind !== 'grpc')
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `job ${job.job.name} reads from "${job.definition.source.kind}"; streaming ingest needs source kind "grpc"`,
      );
    const sha = createHash('sha256').update(`stream:${streamId}`).digest('hex');
    const { run, resumed } = await openRun(ctx.ds, job, streamId, sha);
    if (run.status === 'SUCCEEDED')
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `stream ${streamId} was completed already (run ${run.id})`,
      );
    const locks = ctx.streamLocks ?? locksOf(ctx.ds);
    if (!(await locks.tryLock(run.id))) {
      throw new StrongroomError(
        ErrorCode.UNAVAILABLE,
        `stream ${streamId} is open on another connection; retry shortly`,
        { retryable: true },
      );
    }
    let committed: Awaited<ReturnType<typeof loadCommittedBatches>>;
    const runner = ctx.ds.createQueryRunner();
    try {
      await runner.connect();
      await markStreamOpened(runner, run, actor, streamId, resumed);
      committed = await loadCommittedBatches(sqlExec(runner), run.id);
    } catch (err) {
      await locks.unlock(run.id);
      throw err;
    } finally {
      await runner.release().catch(() => undefined);
    }
    const { totals, digests } = committed;
    const mapper = createTransactionMapper(
      CANONICAL_FIELDS,
      CANONICAL_MAPPING,
      ctx.pan,
      job.definition.compliance.notCardData,
    );
    ctx.logger.info('ingest:opened', { runId: run.id, streamId, resumed, actor });
    ctx.onIngestProgress?.({ ...run }); // the baseline for the metrics (a resumed stream's earlier batches are not counted twice)
    return new IngestSession(ctx, run, job, locks, mapper, totals, digests, resumed);
  }

  /** Commits one batch (or answers a re-sent one from its stored result). */
  async batch(idempotencyKey: string, records: IngestRecordInput[], actor: string): Promise<IngestAck> {
    return this.commit(await this.prepare(idempotencyKey, records), actor);
  }

  /**
   * Checks and maps a batch ahead of its commit (CPU only, no database): a stream maps its next batch
   * while the previous one commits, yielding to the event loop every YIELD_EVERY records so that
   * commit's statements wait at most a fraction of a millisecond for this thread. `readBefore` is the number of records the run will have read when this
   * batch commits (default: as of now); if it turns out otherwise (a batch before it was a re-send), the
   * commit maps the batch again.
   */
  async prepare(
    idempotencyKey: string,
    records: IngestRecordInput[],
    readBefore = Number(this.run.recordsRead),
  ): Promise<PreparedIngestBatch> {
    if (!KEY.test(idempotencyKey))
      throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'idempotency_key must be 1–128 printable ASCII characters');
    if (records.length > MAX_BATCH)
      throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `a batch holds at most ${MAX_BATCH} records`);
    // the COPY and digest bytes are made along the mapping; none when fields are encrypted (made at commit
    // time: a key rotation may finish first) or when the checks cannot be set up now (the commit says why,
    // after it has looked up the sanctions lists in force again)
    let render: Pick<BatchContext, 'sourceSystem' | 'runId' | 'checks'> | undefined;
    try {
      const checks = complianceChecksFor(this.job.definition, this.ctx.screening, this.ctx.fieldKeys);
      if (!checks?.encryption) render = { sourceSystem: sourceSystem(this.job.definition), runId: this.run.id, checks };
    } catch {
      render = undefined;
    }
    const lines: SinkLines | undefined = render
      ? { canonical: new LineBuffer(records.length * 160), copy: new LineBuffer(records.length * 224) }
      : undefined;
    const valid: CanonicalTransaction[] = [];
    const rejected: Rejection[] = [];
    let rendered = 0;
    for (let i = 0; i < records.length; i++) {
      if (i > 0 && i % YIELD_EVERY === 0) {
        if (render && lines) sinkLines(render, valid.slice(rendered), lines);
        rendered = valid.length;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const r = records[i] as IngestRecordInput;
      const fields = CANONICAL_FIELDS.map((f) => r[f] ?? '');
      const m = this.mapper.map({
        recordNo: readBefore + i + 1,
        fields,
        raw: rawJson(r),
        byteEnd: 0,
      });
      if (m.ok) valid.push(m.txn);
      else rejected.push(m.rejection);
    }
    if (render && lines) sinkLines(render, valid.slice(rendered), lines);
    // the AML inputs and screening are worked out now too, while the batch before commits
    const checks = render?.checks;
    if (checks?.aml) this.velocityRouting ??= new VelocityRouting(checks.aml.velocity);
    const aml = await prepareAhead(
      checks,
      valid,
      this.velocityRouting,
      render ? { runId: this.run.id, jobId: this.run.jobId, sourceSystem: render.sourceSystem } : undefined,
    );
    return { idempotencyKey, records, readBefore, valid, rejected, lines, ...(aml ? { aml } : {}) };
  }

  /** Commits a prepared batch (or answers a re-sent one from its stored result). */
  async commit(prepared: PreparedIngestBatch, actor: string): Promise<IngestAck> {
    const { idempotencyKey, records } = prepared;
    const base = Number(this.run.recordsRead);
    // mapped for another position (a batch before it was answered as a re-send): record numbers move
    const { valid, rejected, lines, aml } =
      prepared.readBefore === base ? prepared : await this.prepare(idempotencyKey, records, base);
    await this.ctx.screening?.refresh?.({ maxAgeMs: 1000 }); // the sanctions lists in force (one look a second)
    const batchCtx = this.batchContext(actor);
    let ack: AckBody | undefined;
    let stored: Omit<IngestAck, 'duplicate'> | undefined;
    // a pooled connection for the commit only (an idle stream holds none); a re-send is found by the
    // transaction's first statement and answered from its stored result
    const commit = () =>
      withConnection(this.ctx.ds, (client) =>
        commitBatch(client, batchCtx, this.run, {
          records: records.length,
          firstRecordNo: base + 1,
          lastRecordNo: base + records.length,
          position: base + records.length,
          valid,
          rejected,
          lines,
          ...(aml ? { aml } : {}),
          ingestKey: { key: idempotencyKey, ack: (batchSeq, r) => (ack = ackBody(idempotencyKey, base, batchSeq, r)) },
        }).catch((err) => {
          if (!(err instanceof AlreadyCommittedError)) throw err;
          stored = err.stored as Omit<IngestAck, 'duplicate'>;
          return undefined;
        }),
      );
    const t0 = performance.now();
    const result = await this.callDatabase(commit);
    if (stored) return { ...stored, ...this.counters(), duplicate: true };
    if (!result || !ack) return this.commit(prepared, actor);
    this.committed([result], performance.now() - t0);
    return { ...ack, ...this.counters(), duplicate: false };
  }

  /**
   * Commits consecutive prepared batches of the stream, in order, and gives `answer` their acks in the same
   * order, as each commit returns (the batches of one transaction together). Batches that wait while another commits land in one transaction (group
   * commit: one BEGIN, one COPY, one COMMIT; each keeps its batch number, integrity row, idempotency key and
   * audit entry) when the job needs no checks (no AML, KYC or encrypted fields) and no txn_id repeats among
   * them; otherwise, or when a batch is a re-send or a row is refused, they commit one by one as `commit` does.
   */
  async commitGroup(
    group: readonly PreparedIngestBatch[],
    actor: string,
    answer: (acks: IngestAck[]) => Promise<void>,
    /** Asked before each further commit when they go one by one: false (the caller is gone) stops there. */
    wanted: () => boolean = () => true,
  ): Promise<void> {
    const together = group.length > 1 ? await this.commitTogether(group, actor) : undefined;
    if (together) return answer(together);
    for (const [i, prepared] of group.entries()) {
      if (i > 0 && !wanted()) return;
      await answer([await this.commit(prepared, actor)]);
    }
  }

  /**
   * Whether batches of this stream may commit together now (commitGroup): the job needs no checks (no AML, KYC
   * or encrypted fields, whose work is per batch) and the direct COPY is not backing off. The caller groups only
   * then, so a stream that cannot group keeps committing each batch while the next one is mapped.
   */
  canGroup(): boolean {
    if (this.fastPath.skip > 0) return false;
    try {
      const checks = complianceChecksFor(this.job.definition, this.ctx.screening, this.ctx.fieldKeys);
      return !checks.aml && !checks.kyc && !checks.encryption;
    } catch {
      return false; // each commit says why
    }
  }

  /** The group commit of commitGroup; undefined (nothing written) when the batches must commit one by one. */
  private async commitTogether(group: readonly PreparedIngestBatch[], actor: string): Promise<IngestAck[] | undefined> {
    if (!this.canGroup()) return undefined;
    // consecutive from the run's position, rendered ahead, no txn_id twice
    let at = Number(this.run.recordsRead);
    const seen = new Set<string>();
    for (const p of group) {
      if (!p.lines || p.readBefore !== at) return undefined;
      at += p.records.length;
      for (const t of p.valid) {
        if (seen.has(t.txnId)) return undefined;
        seen.add(t.txnId);
      }
    }
    const batchCtx = this.batchContext(actor);
    const acks: AckBody[] = [];
    const inputs = group.map((p, i) => ({
      records: p.records.length,
      firstRecordNo: p.readBefore + 1,
      lastRecordNo: p.readBefore + p.records.length,
      position: p.readBefore + p.records.length,
      valid: p.valid,
      rejected: p.rejected,
      lines: p.lines as SinkLines,
      ingestKey: {
        key: p.idempotencyKey,
        ack: (batchSeq: number, r: BatchResult) => (acks[i] = ackBody(p.idempotencyKey, p.readBefore, batchSeq, r)),
      },
    }));
    const t0 = performance.now();
    const results = await this.callDatabase(() =>
      withConnection(this.ctx.ds, (client) => commitStreamGroup(client, batchCtx, this.run, inputs)),
    );
    if (!results) return undefined;
    this.committed(
      results.map((r) => r.result),
      performance.now() - t0,
    );
    return results.map((r, i) => ({
      ...(acks[i] as AckBody),
      read: Number(r.counters.recordsRead),
      loaded: Number(r.counters.recordsLoaded),
      deadLettered: Number(r.counters.recordsDeadLettered),
      duplicate: false,
    }));
  }

  private batchContext(actor: string): BatchContext & { actor: string } {
    const def = this.job.definition;
    return {
      runId: this.run.id,
      jobId: this.run.jobId,
      sourceSystem: sourceSystem(def),
      dataClassification: def.compliance.dataClassification,
      checks: complianceChecksFor(def, this.ctx.screening, this.ctx.fieldKeys),
      fastPath: this.fastPath,
      actor,
      ...(this.ctx.crash ? { crash: this.ctx.crash } : {}),
    };
  }

  /**
   * Runs a commit through the database breaker. An outage is answered UNAVAILABLE (the client keeps the batch
   * and re-sends it with the same key); a concurrent commit of the same key answers undefined (try again: it is
   * then found as a re-send).
   */
  private async callDatabase<T>(commit: () => Promise<T>): Promise<T | undefined> {
    return (this.ctx.db ? this.ctx.db.call(commit) : commit()).catch((err) => {
      if (isDatabaseOutage(err)) {
        // the batch is not lost: the client keeps it and re-sends it with the same key
        throw new StrongroomError(
          ErrorCode.UNAVAILABLE,
          `the database is unavailable; re-send this batch (same idempotency key) in ${RETRY_HINT_S} s`,
          {
            retryable: true,
            details: { retryAfterMs: RETRY_HINT_S * 1000 },
          },
        );
      }
      // a safety net: a concurrent commit of the same key won the race for it (a second session of the stream is
      // kept out by the run's lock and fenced by its batch count first): answer from its result (any other unique
      // violation is an error, never a reason to try again)
      if (pgErrorCode(err) === '23505' && (err as { constraint?: string }).constraint === 'ingest_batches_pkey')
        return undefined;
      throw err;
    });
  }

  /**
   * Books the batches one transaction committed (in order; `ms` its commit time, counted once: a group commit is
   * one commit, as its crash points fire once) into the session's figures.
   */
  private committed(results: readonly BatchResult[], ms: number): void {
    this.stats.commitMs.push(ms);
    this.ctx.onBatchCommitted?.(this.job.definition.name, ms);
    for (const result of results) {
      mergeTotals(this.loadedTotals, result.totals);
      this.digests.push(result.digest);
    }
    this.stats.peakRssBytes = Math.max(this.stats.peakRssBytes, process.memoryUsage.rss());
    this.ctx.onIngestProgress?.({ ...this.run });
    this.ctx.crash?.('ingest:after-commit');
  }

  /** Ends the stream: reconcile and publish the run. */
  async complete(actor: string): Promise<JobRunEntity> {
    const digest = createHash('sha256').update(this.digests.join('')).digest('hex');
    await finalizeRun(this.ctx.ds, this.run, this.job.definition, this.loadedTotals, digest, this.stats, actor);
    this.ctx.onIngestProgress?.({ ...this.run });
    return this.run;
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.locks.unlock(this.run.id);
  }

  private counters() {
    return {
      read: Number(this.run.recordsRead),
      loaded: Number(this.run.recordsLoaded),
      deadLettered: Number(this.run.recordsDeadLettered),
    };
  }
}

/** Runs `work` on a pooled connection with the staging table ready, then gives the connection back. */
async function withConnection<T>(ds: DataSource, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    const client = pgClientOf(runner);
    await prepareStaging(client);
    return await work(client);
  } finally {
    await runner.release().catch(() => undefined);
  }
}

/** Lock holders of data sources whose context brings none (one per data source). */
const LOCKS = new WeakMap<DataSource, RunLockHolder>();
function locksOf(ds: DataSource): RunLockHolder {
  let holder = LOCKS.get(ds);
  if (!holder) LOCKS.set(ds, (holder = new RunLockHolder(ds)));
  return holder;
}

async function openRun(
  ds: DataSource,
  job: JobWithDefinition,
  streamId: string,
  sha: string,
): Promise<{ run: JobRunEntity; resumed: boolean }> {
  const { run, existing } = await insertRunOnce(ds, job, `grpc://${streamId}`, sha, 0);
  return { run, resumed: existing };
}
