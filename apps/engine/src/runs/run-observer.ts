import { appendAudit } from '@strongroom/audit';
import { type DataSource, type JobRunEntity, sqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { evaluateRunSla, getRun, type Sla } from '@strongroom/pipeline';
import { type Breaker } from '@strongroom/resilience';
import { type EngineMetrics } from '../ops/engine-metrics';

/** How often live runs are checked against their deadline when no progress arrives (queued, paused runs). */
const SWEEP_MS = 30_000;

/**
 * Watches every run's progress: feeds the metrics and evaluates the run against its job version's
 * SLA. The first time a run is BREACHED it is audited (`sla:breached`, with the reason) and counted,
 * once per run even across engine restarts (the audit chain is checked first). A periodic sweep
 * catches runs that make no progress (queued or paused past their deadline).
 */
export class RunObserver {
  private readonly jobs = new Map<string, { name: string; sla: Sla | null }>();
  private readonly breached = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly db: Breaker,
    private readonly metrics: EngineMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A progress snapshot from the scheduler. Never throws: observation must not disturb a run. */
  observe(run: JobRunEntity): void {
    void this.handle(run).catch((err: unknown) =>
      this.logger.warn('run-observer:failed', { runId: run.id, error: String(err) }),
    );
  }

  private async handle(run: JobRunEntity): Promise<void> {
    const job = await this.jobOf(run);
    this.metrics.runProgress(run, job.name);
    if (!job.sla) return;
    const e = evaluateRunSla(job.sla, run);
    const first = e.status === 'BREACHED' && !this.breached.has(run.id);
    if (first) {
      this.breached.add(run.id);
      await this.recordBreach(run, job.name, e.reason, e.errorRate);
    }
    this.metrics.sla(run.id, job.name, e.status, first);
  }

  private async recordBreach(run: JobRunEntity, job: string, reason: string, errorRate: number): Promise<void> {
    await this.db.call(() =>
      this.ds.transaction(async (em) => {
        const [seen] = (await em.query(
          `SELECT 1 FROM immutable_audit_log WHERE action = 'sla:breached' AND subject->>'runId' = $1 LIMIT 1`,
          [run.id],
        )) as unknown[];
        if (seen) return;
        await appendAudit(sqlExec(em), {
          actor: 'service:engine',
          action: 'sla:breached',
          subject: { jobId: run.jobId, runId: run.id },
          details: {
            job,
            status: run.status,
            reason,
            errorRate: errorRate.toFixed(6),
            read: Number(run.recordsRead),
            deadLettered: Number(run.recordsDeadLettered),
          },
        });
        this.logger.warn('sla:breached', { jobId: run.jobId, runId: run.id, job, reason });
      }),
    );
  }

  private async jobOf(run: JobRunEntity): Promise<{ name: string; sla: Sla | null }> {
    const key = `${run.jobId}|${run.jobVersion}`;
    const cached = this.jobs.get(key);
    if (cached) return cached;
    const [row] = (await this.ds.query(
      `SELECT j.name, v.definition->'sla' AS sla FROM jobs j JOIN job_versions v ON v.job_id = j.id WHERE j.id = $1 AND v.version = $2`,
      [run.jobId, run.jobVersion],
    )) as {
      name: string;
      sla: Sla | null;
    }[];
    const info = { name: row?.name ?? run.jobId, sla: row?.sla ?? null };
    if (this.jobs.size > 10_000) this.jobs.clear();
    this.jobs.set(key, info);
    return info;
  }

  /** Live runs of jobs with an SLA, evaluated even when they make no progress. */
  private async sweep(): Promise<void> {
    const runs = (await this.db
      .call(() =>
        this.ds.query(
          `SELECT r.id FROM job_runs r JOIN job_versions v ON v.job_id = r.job_id AND v.version = r.job_version
            WHERE r.status IN ('PENDING','RUNNING','PAUSED') AND v.definition ? 'sla' LIMIT 1000`,
        ),
      )
      .catch(() => [])) as { id: string }[];
    for (const { id } of runs) {
      const run = await getRun(this.ds, id).catch(() => undefined);
      if (run) this.observe(run);
    }
  }
}
