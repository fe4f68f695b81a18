import { type DataSource, type EntityManager, type JobRunEntity, type RunStatus } from '@strongroom/db';
import { appendAudit, type SqlExec } from '@strongroom/audit';

/** Adapts a TypeORM EntityManager to the audit chain's SQL executor. */
export function emExec(em: EntityManager | DataSource): SqlExec {
  return (sql, params) => em.query(sql, params);
}

/**
 * Ends a run without publishing anything: its rows leave the sink (they were never visible through
 * `transactions_published`), its counters, checkpoints and dead letters stay for diagnosis. Status,
 * deletion and the audit entry commit together. Only a run that is not already finished is changed.
 */
export async function endUnpublished(
  ds: DataSource,
  run: JobRunEntity,
  status: Extract<RunStatus, 'FAILED' | 'CANCELLED'>,
  code: string,
  message: string,
  actor: string,
): Promise<boolean> {
  const changed = await ds.transaction(async (em) => {
    const [, n] = (await em.query(
      `UPDATE job_runs SET status = $2, finished_at = now(), error_code = $3, error_message = $4, status_reason = NULL
        WHERE id = $1 AND status IN ('PENDING','RUNNING','PAUSED')`,
      [run.id, status, code, message],
    )) as [unknown, number];
    if (n !== 1) return false;
    const [, withdrawn] = (await em.query('DELETE FROM compliance_alerts WHERE run_id = $1', [run.id])) as [unknown, number];
    const [, removed] = (await em.query('DELETE FROM transactions WHERE run_id = $1', [run.id])) as [unknown, number];
    await appendAudit(emExec(em), {
      actor,
      action: status === 'FAILED' ? 'run:failed' : 'run:cancelled',
      subject: { jobId: run.jobId, runId: run.id },
      details: { errorCode: code, message, read: run.recordsRead, unpublishedRows: removed, withdrawnAlerts: withdrawn },
    });
    return true;
  });
  if (changed) Object.assign(run, { status, finishedAt: new Date(), errorCode: code, errorMessage: message, statusReason: null });
  return changed;
}

/** RUNNING ⇄ PAUSED with a reason, audited. */
export async function setPaused(ds: DataSource, run: JobRunEntity, paused: boolean, reason: string | null, actor: string): Promise<void> {
  await ds.transaction(async (em) => {
    await em.query(`UPDATE job_runs SET status = $2, status_reason = $3 WHERE id = $1 AND status IN ('RUNNING','PAUSED')`, [
      run.id,
      paused ? 'PAUSED' : 'RUNNING',
      reason,
    ]);
    await appendAudit(emExec(em), { actor, action: paused ? 'run:paused' : 'run:resumed', subject: { jobId: run.jobId, runId: run.id }, details: { reason } });
  });
  Object.assign(run, { status: paused ? 'PAUSED' : 'RUNNING', statusReason: reason });
}
