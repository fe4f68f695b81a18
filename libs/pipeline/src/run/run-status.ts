import { type PoolClient } from 'pg';
import { appendAudit } from '@strongroom/audit';
import {
  type DataSource,
  type EntityManager,
  type JobRunEntity,
  type QueryRunner,
  type RunStatus,
  sqlExec,
  type SqlExec,
} from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { redactPans } from '@strongroom/logging';
import { insertPartitions } from './partition-lease';
import { type PlannedPartition } from './partition-plan';

/**
 * The one writer of a run's status (`job_runs.status`). Every transition of the state machine
 *
 *   PENDING → RUNNING ⇄ PAUSED → SUCCEEDED | FAILED | CANCELLED
 *
 * is a guarded UPDATE — it applies only from the states it names, so a stale writer changes nothing —
 * committed in one transaction with its audit entry (I5). A writer that finds the run moved on gets a
 * RunFencedError and must stop writing for that run. A test fails when status is written anywhere else.
 */

/** The run was ended, or moved on by another writer (another engine, a newer attempt): stop, write nothing more. */
export class RunFencedError extends StrongroomError {
  constructor(
    readonly runId: string,
    why: string,
  ) {
    super(ErrorCode.UNAVAILABLE, `run ${runId} ${why}`);
    this.name = 'RunFencedError';
  }
}

/** A partition's batch whose lease was taken over (or ended) before it committed: never applied. */
export class PartitionFencedError extends RunFencedError {
  constructor(
    runId: string,
    readonly partitionNo: number,
    readonly epoch: number,
  ) {
    super(runId, `partition ${partitionNo} is no longer held under lease epoch ${epoch}; this batch was not applied`);
    this.name = 'PartitionFencedError';
  }
}

/** The run was paused (by this or another engine) before the batch committed: stop; it is read again on resume. */
export class RunPausedError extends RunFencedError {
  constructor(runId: string) {
    super(runId, 'was paused; this batch was not applied and is read again on resume');
    this.name = 'RunPausedError';
  }
}

const LIVE: readonly RunStatus[] = ['PENDING', 'RUNNING', 'PAUSED'];

async function inTransaction<T>(client: PoolClient, fn: (exec: SqlExec) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(sqlExec(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * The replica that starts a file run takes it PENDING → RUNNING and inserts its planned partitions in
 * the same transaction (so a RUNNING file run always has its partitions), counts the first attempt and
 * audits `run:started`. Only one replica wins: the others get a RunFencedError and join by claiming
 * partitions.
 */
export async function markStarted(
  client: PoolClient,
  run: JobRunEntity,
  actor: string,
  details: Record<string, unknown>,
  partitions: PlannedPartition[],
): Promise<void> {
  await inTransaction(client, async (exec) => {
    const rows = await exec(
      `UPDATE job_runs SET status = 'RUNNING', started_at = coalesce(started_at, now()), attempts = attempts + 1
        WHERE id = $1 AND status = 'PENDING' RETURNING id`,
      [run.id],
    );
    if (rows.length !== 1) throw new RunFencedError(run.id, 'was started by another engine');
    await insertPartitions(exec, run.id, partitions);
    await appendAudit(exec, {
      actor,
      action: 'run:started',
      subject: { jobId: run.jobId, runId: run.id },
      details: { ...details, partitions: partitions.length, attempt: run.attempts + 1 },
    });
  });
  run.status = 'RUNNING';
  run.startedAt ??= new Date();
  run.attempts += 1;
}

/**
 * An ingest stream opens (or re-opens, after a disconnect) its run: PENDING or RUNNING → RUNNING, the
 * attempt counted and audited like a file run's start. Refused when the run ended meanwhile.
 */
export async function markStreamOpened(
  runner: QueryRunner,
  run: JobRunEntity,
  actor: string,
  streamId: string,
  resumed: boolean,
): Promise<void> {
  await runner.startTransaction();
  try {
    const exec = sqlExec(runner);
    const rows = await exec(
      `UPDATE job_runs SET status = 'RUNNING', started_at = coalesce(started_at, now()), attempts = attempts + 1
        WHERE id = $1 AND status IN ('PENDING','RUNNING') RETURNING id`,
      [run.id],
    );
    if (rows.length !== 1) throw new RunFencedError(run.id, `is ${run.status}; its stream cannot be opened`);
    await appendAudit(exec, {
      actor,
      action: resumed ? 'run:resumed' : 'run:started',
      subject: { jobId: run.jobId, runId: run.id },
      details: { stream: streamId, attempt: run.attempts + 1 },
    });
    await runner.commitTransaction();
  } catch (err) {
    await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  }
  run.status = 'RUNNING';
  run.startedAt ??= new Date();
  run.attempts += 1;
}

/**
 * RUNNING → PAUSED or PAUSED → RUNNING with a reason, audited; false (and nothing written) when the run
 * was not in the state the transition starts from (another engine or operator got there first). `reason`
 * is the status reason (null when resumed); the audit entry records `why` (the requester's words) when
 * given, else the status reason.
 */
export async function setPaused(
  ds: DataSource,
  run: JobRunEntity,
  paused: boolean,
  reason: string | null,
  actor: string,
  why?: string,
): Promise<boolean> {
  const changed = await ds.transaction(async (em) => {
    const exec = sqlExec(em);
    const rows = await exec(
      `UPDATE job_runs SET status = $2, status_reason = $3 WHERE id = $1 AND status = $4 RETURNING id`,
      [run.id, paused ? 'PAUSED' : 'RUNNING', reason, paused ? 'RUNNING' : 'PAUSED'],
    );
    if (rows.length !== 1) return false;
    await appendAudit(exec, {
      actor,
      action: paused ? 'run:paused' : 'run:resumed',
      subject: { jobId: run.jobId, runId: run.id },
      details: { reason: why ?? reason },
    });
    return true;
  });
  if (changed) Object.assign(run, { status: paused ? 'PAUSED' : 'RUNNING', statusReason: reason });
  return changed;
}

/**
 * Ends a run without publishing anything: its rows and alerts leave the sink (the rows were never
 * visible through `transactions_published`); its counters, checkpoints and dead letters stay for
 * diagnosis. Status, deletion and the audit entry commit together. Only a run in one of `from` (by
 * default any live state) is changed; returns whether it was.
 */
export async function endUnpublished(
  ds: DataSource,
  run: JobRunEntity,
  status: Extract<RunStatus, 'FAILED' | 'CANCELLED'>,
  code: string,
  message: string,
  actor: string,
  from: readonly RunStatus[] = LIVE,
): Promise<boolean> {
  const changed = await ds.transaction(async (em) => {
    const exec = sqlExec(em);
    const rows = await exec(
      `UPDATE job_runs SET status = $2, finished_at = now(), error_code = $3, error_message = $4, status_reason = NULL
        WHERE id = $1 AND status = ANY($5::text[]) RETURNING id`,
      [run.id, status, code, redactPans(message), [...from]],
    );
    if (rows.length !== 1) return false;
    const withdrawn = await withdrawAlerts(exec, run.id);
    const removed = await removeUnpublishedRows(exec, run.id);
    await appendAudit(exec, {
      actor,
      action: status === 'FAILED' ? 'run:failed' : 'run:cancelled',
      subject: { jobId: run.jobId, runId: run.id },
      details: {
        errorCode: code,
        message,
        read: run.recordsRead,
        unpublishedRows: removed,
        withdrawnAlerts: withdrawn,
      },
    });
    return true;
  });
  if (changed)
    Object.assign(run, { status, finishedAt: new Date(), errorCode: code, errorMessage: message, statusReason: null });
  return changed;
}

/** What the finalizer decided about a run whose source is exhausted. */
export interface RunOutcome {
  status: Extract<RunStatus, 'SUCCEEDED' | 'FAILED'>;
  sourceTotals: Record<string, unknown>;
  sinkTotals: Record<string, unknown>;
  reconciled: boolean;
  reconciliationReason: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/**
 * RUNNING → SUCCEEDED (publishes the rows) or FAILED, inside the finalizer's transaction (with its
 * integrity row and figures): marks the checkpoints done and audits `run:succeeded` / `run:failed`.
 */
export async function markFinished(
  em: EntityManager,
  run: JobRunEntity,
  outcome: RunOutcome,
  auditDetails: Record<string, unknown>,
  actor: string,
): Promise<void> {
  const exec = sqlExec(em);
  const o = outcome;
  const rows = await exec(
    `UPDATE job_runs SET status = $2, finished_at = now(), source_totals = $3, sink_totals = $4, reconciled = $5,
            reconciliation_reason = $6, error_code = $7, error_message = $8, status_reason = NULL
      WHERE id = $1 AND status = 'RUNNING' RETURNING id`,
    [
      run.id,
      o.status,
      JSON.stringify(o.sourceTotals),
      JSON.stringify(o.sinkTotals),
      o.reconciled,
      o.reconciliationReason,
      o.errorCode,
      o.errorMessage === null ? null : redactPans(o.errorMessage), // an error may quote a value or a path
    ],
  );
  if (rows.length !== 1) throw new RunFencedError(run.id, 'is no longer RUNNING; not finalized');
  // a failed run publishes nothing: its rows leave the sink through the owner's checked function, and the
  // alerts they raised go with them (or a corrected re-run's alerts would be taken for duplicates)
  const unpublishedRows = o.status === 'FAILED' ? await removeUnpublishedRows(exec, run.id) : 0;
  const withdrawnAlerts = o.status === 'FAILED' ? await withdrawAlerts(exec, run.id) : 0;
  await exec('UPDATE run_checkpoints SET done = true, updated_at = now() WHERE run_id = $1', [run.id]);
  await appendAudit(exec, {
    actor,
    action: o.status === 'SUCCEEDED' ? 'run:succeeded' : 'run:failed',
    subject: { jobId: run.jobId, runId: run.id },
    details: o.status === 'FAILED' ? { ...auditDetails, unpublishedRows, withdrawnAlerts } : auditDetails,
  });
}

/**
 * Withdraws the alerts a run raised (its rows were never published), after its status changed; returns how
 * many. The engine's role may not DELETE alerts: the owner's function `strongroom_withdraw_alerts` checks
 * that the run ended FAILED or CANCELLED.
 */
async function withdrawAlerts(exec: SqlExec, runId: string): Promise<number> {
  const [r] = await exec('SELECT strongroom_withdraw_alerts($1)::int AS n', [runId]);
  return Number(r?.['n'] ?? 0);
}

/**
 * Removes the sink rows of a run that ended FAILED or CANCELLED, in the caller's transaction, after its
 * status changed. The engine's database role may not DELETE from the sink: the owner's function
 * `strongroom_unpublish_run` checks the run's state and records the removal in `sink_removals`.
 */
async function removeUnpublishedRows(exec: SqlExec, runId: string): Promise<number> {
  const [r] = await exec('SELECT strongroom_unpublish_run($1)::int AS n', [runId]);
  return Number(r?.['n'] ?? 0);
}
