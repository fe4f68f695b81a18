import { EventEmitter } from 'node:events';
import { appendAudit } from '@strongroom/audit';
import { type JobRunEntity, sqlExec, TERMINAL_RUN_STATUSES } from '@strongroom/db';
import { ErrorCode, StrongroomError, coerceError } from '@strongroom/errors';
import { backoffMs } from '@strongroom/resilience';
import {
  endUnpublished,
  executeRun,
  getJob,
  getRun,
  RunControl,
  setPaused,
  stopReason,
  type RunContext,
} from '@strongroom/pipeline';
import { runsNeedingWork } from './replicas';
import { type HelpOutcome, type RunThreads } from './run-threads';

/** Delay before an interrupted run (database outage) is tried again. */
const RETRY_INTERRUPTED_MS = 5000;
/** An interrupted run waits at least this, plus full-jitter backoff growing per outage in a row (≤ 30 s). */
const INTERRUPTED_MIN_WAIT_MS = 250;
const INTERRUPTED_BACKOFF = { attempts: Infinity, baseMs: 1000, maxMs: 30_000 };

/**
 * A snapshot older than the one published already (fewer batches), a RUNNING one after a pause (a thread's
 * commit just before it may arrive later), or anything after the run's end.
 */
function stale(r: JobRunEntity, latest: JobRunEntity): boolean {
  return (
    TERMINAL_RUN_STATUSES.includes(latest.status) ||
    r.batchesCommitted < latest.batchesCommitted ||
    (r.status === 'RUNNING' && latest.status !== 'RUNNING')
  );
}

/**
 * Runs queued runs with bounded concurrency, publishes their progress to watchers, cancels on
 * request, and on shutdown stops taking work and waits (bounded) for running batches.
 */
export class RunScheduler {
  private readonly active = new Map<
    string,
    {
      control: RunControl;
      done: Promise<void>;
      /** Set when the engine's own executor is done with the run and only its run threads work on: publishes a snapshot. */
      threadsOnly?: (run: JobRunEntity) => void;
    }
  >();
  private readonly queue: string[] = [];
  /** Runs submitted again while this engine was still working on them: taken up again when that ends. */
  private readonly again = new Set<string>();
  private poller: NodeJS.Timeout | undefined;
  /** Outages in a row per run, for the backoff before it resumes. */
  private readonly interruptions = new Map<string, number>();
  private readonly events = new EventEmitter();
  private readonly progressListeners: ((run: JobRunEntity) => void)[] = [];
  private accepting = true;

  constructor(
    private readonly ctx: RunContext,
    private readonly maxConcurrent: number,
    /** Resolves when the database answers again (breaker closed); interrupted runs resume then. */
    private readonly databaseBack: () => Promise<void> = () => new Promise((r) => setTimeout(r, RETRY_INTERRUPTED_MS)),
    /** The engine's run threads (ENGINE_RUN_THREADS), sent each partitioned file run this engine works on. */
    private readonly threads?: RunThreads,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Queues a PENDING run. */
  submit(runId: string): void {
    if (!this.accepting)
      throw new StrongroomError(ErrorCode.UNAVAILABLE, 'engine is shutting down', { retryable: true });
    if (this.active.has(runId)) {
      this.again.add(runId);
      return;
    }
    if (this.queue.includes(runId)) return;
    this.queue.push(runId);
    this.pump();
  }

  /**
   * On start: PENDING runs are queued; RUNNING runs (interrupted by a crash or a shutdown) resume
   * from their partitions' checkpoints (partitions another live replica holds are not claimable until
   * its lease expires). PAUSED runs wait for ResumeRun.
   */
  async recover(): Promise<{ queued: number; resumed: number }> {
    const rows: { id: string; status: string }[] = await this.ctx.ds.query(
      `SELECT id, status FROM job_runs WHERE status IN ('PENDING','RUNNING') ORDER BY created_at`,
    );
    for (const r of rows) this.submit(r.id);
    return {
      queued: rows.filter((r) => r.status === 'PENDING').length,
      resumed: rows.filter((r) => r.status === 'RUNNING').length,
    };
  }

  /**
   * Every `everyMs`, looks in the database for file runs that need a replica — a partition nobody holds
   * or whose lease expired, a run nobody started or finalized — and takes them up when it has room.
   * This is how replicas share a run and how a dead or frozen replica's work is taken over: nobody has
   * to resume it.
   */
  startPolling(everyMs: number, ttlMs: number, beat?: () => Promise<void>): void {
    const tick = async () => {
      if (!this.accepting) return;
      await beat?.().catch(() => undefined);
      const room = this.maxConcurrent - this.active.size - this.queue.length;
      if (room <= 0) return;
      const ids = await runsNeedingWork(this.ctx.ds, ttlMs, room + this.active.size).catch(() => []);
      for (const id of ids) if (!this.active.has(id) && this.accepting) this.submit(id);
    };
    const loop = () => {
      this.poller = setTimeout(() => void tick().finally(() => this.accepting && loop()), everyMs);
      this.poller.unref();
    };
    loop();
  }

  /** Pauses a running run after its current batch (on whichever replicas work on it). */
  async pause(runId: string, actor = 'service:engine', reason?: string): Promise<JobRunEntity> {
    const run = await getRun(this.ctx.ds, runId);
    if (run.status !== 'RUNNING') {
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `run ${runId} is ${run.status}; only a RUNNING run can be paused`,
      );
    }
    const active = this.active.get(runId);
    // here, the executor pauses between batches (its run threads give their partitions back); replicas elsewhere
    // find the run PAUSED at their next commit. When only run threads still work on it, the pause is made here
    if (active && !active.threadsOnly) active.control.request('pause', actor, reason);
    else if (await setPaused(this.ctx.ds, run, true, stopReason('paused', reason), actor)) {
      if (active) {
        active.threadsOnly?.(run);
        active.control.request('pause', actor, reason);
      }
    } else {
      const now = await getRun(this.ctx.ds, runId);
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `run ${runId} is ${now.status}; only a RUNNING run can be paused`,
      );
    }
    return run;
  }

  /** Resumes a PAUSED run, or an interrupted RUNNING run that no engine is executing. */
  async resume(runId: string, actor = 'service:engine', reason?: string): Promise<JobRunEntity> {
    const run = await getRun(this.ctx.ds, runId);
    if (run.status === 'PAUSED') {
      if (!(await setPaused(this.ctx.ds, run, false, null, actor, reason))) {
        const now = await getRun(this.ctx.ds, runId);
        throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `run ${runId} is ${now.status}; it was not resumed`);
      }
    } else if (run.status === 'RUNNING') {
      // an interrupted run: the request is audited here; any replica with room takes its partitions
      await this.ctx.ds.transaction((em) =>
        appendAudit(sqlExec(em), {
          actor,
          action: 'run:resume_requested',
          subject: { jobId: run.jobId, runId: run.id },
          details: { status: run.status, reason: reason ?? null },
        }),
      );
    } else {
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `run ${runId} is ${run.status}; only a PAUSED or interrupted run can be resumed`,
      );
    }
    this.submit(runId);
    return run;
  }

  /** Cancels a queued or running run; a finished run cannot be cancelled. */
  async cancel(runId: string, actor = 'service:engine', reason?: string): Promise<JobRunEntity> {
    const run = await getRun(this.ctx.ds, runId);
    if (TERMINAL_RUN_STATUSES.includes(run.status)) {
      throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `run ${runId} is already ${run.status}`);
    }
    const active = this.active.get(runId);
    if (active) {
      active.control.request('cancel', actor, reason);
      await active.done;
      return getRun(this.ctx.ds, runId);
    }
    const i = this.queue.indexOf(runId);
    if (i >= 0) this.queue.splice(i, 1);
    await endUnpublished(this.ctx.ds, run, 'CANCELLED', ErrorCode.CANCELLED, stopReason('cancelled', reason), actor);
    const after = await getRun(this.ctx.ds, runId);
    this.publish(runId, after);
    return after;
  }

  /** Runs executing now. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Receives the progress snapshots of every run this scheduler executes (metrics, SLA watch). */
  onAnyProgress(listener: (run: JobRunEntity) => void): void {
    this.progressListeners.push(listener);
  }

  private publish(runId: string, run: JobRunEntity): void {
    this.events.emit(runId, { ...run });
    for (const l of this.progressListeners) l({ ...run } as JobRunEntity);
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
    clearTimeout(this.poller);
    this.queue.length = 0;
    this.again.clear();
    for (const a of this.active.values()) a.control.request('shutdown');
    const all = Promise.all([...this.active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    return [...this.active.keys()];
  }

  private pump(): void {
    while (this.accepting && this.active.size < this.maxConcurrent && this.queue.length) {
      const runId = this.queue.shift() as string;
      const control = new RunControl();
      const done = this.execute(runId, control).finally(() => {
        this.active.delete(runId);
        if (this.again.delete(runId) && this.accepting) this.queue.push(runId);
        this.pump();
      });
      this.active.set(runId, { control, done });
    }
  }

  private async execute(runId: string, control: RunControl): Promise<void> {
    const log = this.ctx.logger.child({ component: 'scheduler', runId });
    try {
      const run = await getRun(this.ctx.ds, runId);
      if (TERMINAL_RUN_STATUSES.includes(run.status)) return;
      const job = await getJob(this.ctx.ds, run.jobId, run.jobVersion);
      if (job.definition.source.kind === 'grpc') return; // stream runs continue when their client reopens the stream
      // with run threads, the run's snapshots come from several threads: the run-wide counters come from the
      // database at each commit; a snapshot older than one published already (fewer batches, or RUNNING after
      // a pause with as many) is not published, nor anything after the run's end
      const helping: Promise<HelpOutcome>[] = [];
      let latest: JobRunEntity | undefined;
      const progress = (r: JobRunEntity) => {
        if (helping.length && latest && stale(r, latest)) return;
        latest = { ...r } as JobRunEntity;
        this.publish(runId, r);
      };
      const splits = job.definition.source.kind === 'csv' || job.definition.source.kind === 'jsonl';
      let after = await executeRun(this.ctx, run, job, control, (r) => {
        progress(r);
        // once the run is RUNNING (planned, cut into partitions) and going on, the idle run threads claim its
        // partitions too; a run that found every thread busy takes those that are idle at a later snapshot
        if (
          this.threads &&
          splits &&
          !helping.length &&
          r.status === 'RUNNING' &&
          control.requested === 'run' &&
          !control.interrupted &&
          this.accepting
        )
          helping.push(...this.threads.help(runId, control, progress));
      });
      if (helping.length) {
        const entry = this.active.get(runId);
        if (entry) entry.threadsOnly = progress;
        // a pause the executor took too late to obey (it had no partition left): made here, as its requester's
        if (control.requested === 'pause' && after.status === 'RUNNING') {
          const actor = control.requestedBy ?? this.ctx.actor ?? 'service:engine';
          const paused = await setPaused(this.ctx.ds, after, true, stopReason('paused', control.reason), actor).catch(
            () => false,
          );
          if (paused) progress(after);
        }
        const outcomes = await Promise.all(helping);
        const interrupted = outcomes.find((o) => o.interrupted)?.interrupted;
        if (interrupted) control.interrupted ??= interrupted;
        for (const o of outcomes)
          if (o.error && !o.interrupted) log.warn('run-thread:help-failed', { thread: o.thread, error: o.error });
        // the run as the threads left it (one of them may have finalized it); an interruption's reason only
        // while it is still RUNNING (a paused or ended run keeps its own)
        const reason = after.statusReason ?? control.interrupted;
        after = await getRun(this.ctx.ds, runId).catch(() => after); // an outage: as the executor left it
        if (after.status === 'RUNNING' && reason) after.statusReason = reason;
        progress(after);
      }
      if (control.interrupted && after.status === 'RUNNING' && control.requested === 'run' && this.accepting) {
        // interrupted by an outage (database or source): the run is paused — nothing is dropped, its
        // checkpoint is consistent — and resumes by itself once the database answers again and a
        // growing, jittered backoff has passed (so a flapping source is not hammered)
        const n = (this.interruptions.get(runId) ?? 0) + 1;
        this.interruptions.set(runId, n);
        const waitMs = INTERRUPTED_MIN_WAIT_MS + backoffMs(INTERRUPTED_BACKOFF, n - 1);
        const reason = after.statusReason ?? 'database unavailable: waiting for the postgres circuit breaker to close';
        this.publish(runId, {
          ...after,
          status: 'PAUSED',
          statusReason: `${reason}; resumes by itself`,
        } as JobRunEntity);
        log.warn('run:paused-for-outage', { reason, interruption: n, retryInMs: waitMs });
        void Promise.all([this.databaseBack(), new Promise((r) => setTimeout(r, waitMs))]).then(() => {
          if (!this.accepting) return;
          log.info('run:resuming-after-outage');
          this.submit(runId);
        });
      } else {
        this.interruptions.delete(runId);
      }
    } catch (err) {
      // the run never started: fail it rather than leave it PENDING forever
      const e = coerceError(err);
      log.error('run:scheduling-failed', { error: String((err as Error)?.stack ?? err) });
      const message = e.code === ErrorCode.INTERNAL ? 'internal error (see engine log)' : e.message;
      await getRun(this.ctx.ds, runId)
        .then((run) =>
          endUnpublished(this.ctx.ds, run, 'FAILED', e.code, message, this.ctx.actor ?? 'service:engine', ['PENDING']),
        )
        .catch((dbErr) => log.error('run:fail-not-recorded', { error: String(dbErr) }));
      const after = await getRun(this.ctx.ds, runId).catch(() => undefined);
      if (after) this.publish(runId, after);
    }
  }
}
