import { EventEmitter } from 'node:events';
import { type JobRunEntity, TERMINAL_RUN_STATUSES } from '@strongroom/db';
import { ErrorCode, StrongroomError, coerceError } from '@strongroom/errors';
import { executeRun, getJob, getRun, type RunContext } from '@strongroom/pipeline';

/**
 * Runs queued runs with bounded concurrency, publishes their progress to watchers, cancels on
 * request, and on shutdown stops taking work and waits (bounded) for running batches.
 */
export class RunScheduler {
  private readonly active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly queue: string[] = [];
  private readonly events = new EventEmitter();
  private accepting = true;

  constructor(
    private readonly ctx: RunContext,
    private readonly maxConcurrent: number,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Queues a PENDING run. */
  submit(runId: string): void {
    if (!this.accepting) throw new StrongroomError(ErrorCode.UNAVAILABLE, 'engine is shutting down', { retryable: true });
    if (this.active.has(runId) || this.queue.includes(runId)) return;
    this.queue.push(runId);
    this.pump();
  }

  /**
   * On start: PENDING runs left by a previous process are queued again; RUNNING/PAUSED ones were
   * interrupted mid-run and are failed with a clear reason (their committed batches stay; resubmit
   * the file to load the rest — rows already loaded are filtered as ALREADY_LOADED).
   */
  async recover(): Promise<{ requeued: number; interrupted: number }> {
    const interrupted: { id: string }[] = await this.ctx.ds.query(
      `UPDATE job_runs SET status = 'FAILED', finished_at = now(), error_code = 'UNAVAILABLE',
              error_message = 'interrupted by an engine restart; resubmit the file to load the remaining records'
        WHERE status IN ('RUNNING','PAUSED') RETURNING id`,
    );
    const pending: { id: string }[] = await this.ctx.ds.query(`SELECT id FROM job_runs WHERE status = 'PENDING' ORDER BY created_at`);
    for (const p of pending) this.submit(p.id);
    return { requeued: pending.length, interrupted: interrupted.length };
  }

  /** Cancels a queued or running run; a finished run cannot be cancelled. */
  async cancel(runId: string): Promise<JobRunEntity> {
    const run = await getRun(this.ctx.ds, runId);
    if (TERMINAL_RUN_STATUSES.includes(run.status)) {
      throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `run ${runId} is already ${run.status}`);
    }
    const active = this.active.get(runId);
    if (active) {
      active.abort.abort('cancel');
      await active.done;
      return getRun(this.ctx.ds, runId);
    }
    const i = this.queue.indexOf(runId);
    if (i >= 0) this.queue.splice(i, 1);
    await this.ctx.ds.query(
      `UPDATE job_runs SET status = 'CANCELLED', finished_at = now(), error_code = 'CANCELLED', error_message = 'cancelled by operator'
        WHERE id = $1 AND status = 'PENDING'`,
      [runId],
    );
    const after = await getRun(this.ctx.ds, runId);
    this.events.emit(runId, after);
    return after;
  }

  /** Subscribes to progress snapshots of a run; returns the unsubscribe function. */
  watch(runId: string, listener: (run: JobRunEntity) => void): () => void {
    this.events.on(runId, listener);
    return () => this.events.off(runId, listener);
  }

  /**
   * Stops taking work and tells running runs to stop after their current batch (they stay RUNNING
   * with a consistent checkpoint); waits up to `graceMs`. Returns the ids still running.
   */
  async shutdown(graceMs: number): Promise<string[]> {
    this.accepting = false;
    this.queue.length = 0;
    for (const a of this.active.values()) a.abort.abort('shutdown');
    const all = Promise.all([...this.active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    return [...this.active.keys()];
  }

  private pump(): void {
    while (this.accepting && this.active.size < this.maxConcurrent && this.queue.length) {
      const runId = this.queue.shift() as string;
      const abort = new AbortController();
      const done = this.execute(runId, abort.signal).finally(() => {
        this.active.delete(runId);
        this.pump();
      });
      this.active.set(runId, { abort, done });
    }
  }

  private async execute(runId: string, signal: AbortSignal): Promise<void> {
    const log = this.ctx.logger.child({ component: 'scheduler', runId });
    try {
      const run = await getRun(this.ctx.ds, runId);
      if (run.status !== 'PENDING') return;
      const job = await getJob(this.ctx.ds, run.jobId, run.jobVersion);
      await executeRun(this.ctx, run, job, signal, (r) => this.events.emit(runId, { ...r }));
    } catch (err) {
      // the run never started: fail it rather than leave it PENDING forever
      const e = coerceError(err);
      log.error('run:scheduling-failed', { error: String((err as Error)?.stack ?? err) });
      await this.ctx.ds
        .query(`UPDATE job_runs SET status = 'FAILED', finished_at = now(), error_code = $2, error_message = $3 WHERE id = $1 AND status = 'PENDING'`, [
          runId,
          e.code,
          e.code === ErrorCode.INTERNAL ? 'internal error (see engine log)' : e.message,
        ])
        .catch((dbErr) => log.error('run:fail-not-recorded', { error: String(dbErr) }));
      const after = await getRun(this.ctx.ds, runId).catch(() => undefined);
      if (after) this.events.emit(runId, after);
    }
  }
}
