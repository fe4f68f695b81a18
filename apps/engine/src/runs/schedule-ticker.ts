// Schedules: at each fire of a job's schedule (its cron in its time zone, business days only), a job with
// a source path runs on it, and a job fed by its inbox is checked for a file that arrived since the
// previous fire. The day's file missing — not there, not changed, or not arrived — is recorded as MISSED:
// audited (schedule:missed), logged and counted, so an operator hears of it before the business does.
// Every replica looks at the clock; schedule_fires lets one of them act on each fire.
import { appendAudit } from '@strongroom/audit';
import { type SourceRoots } from '@strongroom/connectors';
import { type DataSource, sqlExec } from '@strongroom/db';
import { StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { SerialPoll } from './serial-poll';
import {
  createRun,
  firesBetween,
  jobsWith,
  parseCron,
  previousFire,
  type JobWithDefinition,
  type ScheduleSpec,
} from '@strongroom/pipeline';

export const SCHEDULE_ACTOR = 'service:scheduler';
/** After a restart, fires of the last this-many ms are still acted on (a fire no replica saw). */
const CATCH_UP_MS = 10 * 60_000;
/** However long this replica could not look (a database outage), at most this far back is replayed. */
const MAX_CATCH_UP_MS = 24 * 3600_000;

export type FireOutcome = 'STARTED' | 'ALREADY_LOADED' | 'MISSED' | 'FAILED';

export interface ScheduleTickerDeps {
  ds: DataSource;
  sourceRoots: SourceRoots;
  submit: (runId: string) => void;
  logger: Logger;
  replicaId: string;
  /** The clock (injected in tests). */
  now?: () => Date;
  /** Told every fire this replica acted on (metrics). */
  onFire?: (job: string, outcome: FireOutcome) => void;
}

export function scheduleSpec(job: JobWithDefinition): ScheduleSpec | undefined {
  const s = job.definition.schedule;
  if (!s) return undefined;
  return { cron: parseCron(s.cron), timezone: s.timezone, holidays: new Set(s.calendar) };
}

export class ScheduleTicker {
  private lastLook: Date | undefined;
  private readonly poll = new SerialPoll(() => this.look());

  constructor(private readonly deps: ScheduleTickerDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  start(pollMs: number): void {
    this.poll.start(pollMs);
  }

  stop(): Promise<void> {
    return this.poll.stop();
  }

  /** Acts on every fire since the last look (never two looks at once). */
  tick(): Promise<void> {
    return this.poll.tick();
  }

  private async look(): Promise<void> {
    const now = this.now();
    // never further back than the catch-up window (a long outage does not replay a day of fires)
    const since = new Date(
      this.lastLook ? Math.max(this.lastLook.getTime(), now.getTime() - MAX_CATCH_UP_MS) : now.getTime() - CATCH_UP_MS,
    );
    let jobs: JobWithDefinition[];
    try {
      jobs = await jobsWith(this.deps.ds, 'schedule');
    } catch (err) {
      this.deps.logger.warn('schedule:jobs-unavailable', { error: String(err) });
      return; // looked again next time, from the same point
    }
    for (const job of jobs) {
      const spec = scheduleSpec(job);
      if (!spec) continue;
      // a fire claimed by a replica that died before acting on it (its row still CLAIMED) is acted on again
      // (createRun is idempotent); so is a fire this look sees for the first time
      const stale = (
        (await this.deps.ds.query(
          `SELECT fire_at FROM schedule_fires WHERE job_id = $1 AND outcome = 'CLAIMED'
              AND created_at < now() - interval '2 minutes' AND fire_at > now() - interval '1 day'`,
          [job.job.id],
        )) as { fire_at: Date }[]
      ).map((r) => r.fire_at);
      for (const [at, reclaim] of [
        ...stale.map((t) => [t, true] as const),
        ...firesBetween(spec, since, now, 100).map((t) => [t, false] as const),
      ]) {
        try {
          await this.fire(job, spec, at, reclaim);
        } catch (err) {
          this.deps.logger.warn('schedule:fire-failed', {
            jobId: job.job.id,
            at: at.toISOString(),
            error: String(err),
          });
        }
      }
    }
    this.lastLook = now;
  }

  /** One fire: claimed by one replica, then acted on and recorded. */
  private async fire(job: JobWithDefinition, spec: ScheduleSpec, at: Date, reclaim = false): Promise<void> {
    const claimed = (await this.deps.ds.query(
      reclaim
        ? `UPDATE schedule_fires SET replica = $3, created_at = now()
            WHERE job_id = $1 AND fire_at = $2 AND outcome = 'CLAIMED' AND created_at < now() - interval '2 minutes'
            RETURNING job_id`
        : `INSERT INTO schedule_fires (job_id, fire_at, replica) VALUES ($1, $2, $3)
            ON CONFLICT (job_id, fire_at) DO NOTHING RETURNING job_id`,
      [job.job.id, at, this.deps.replicaId],
    )) as unknown[];
    if (!claimed.length) return; // another replica has this fire
    let outcome: FireOutcome;
    let runId: string | null = null;
    let detail: string;
    const src = job.definition.source;
    if (src.kind === 'grpc') return;
    try {
      if (src.path !== undefined) {
        const { run, existing } = await createRun(this.deps.ds, job, this.deps.sourceRoots, SCHEDULE_ACTOR);
        runId = run.id;
        if (!existing) this.deps.submit(run.id);
        outcome = existing ? 'ALREADY_LOADED' : 'STARTED';
        detail = existing ? `${src.path} has not changed since run ${run.id}` : `run ${run.id} on ${src.path}`;
      } else {
        // fed by its inbox: a file must have arrived since the previous fire
        // (the previous fire as recorded: a monthly schedule's lies further back than the clock is searched)
        const [recorded] = (await this.deps.ds.query(
          `SELECT max(fire_at) AS at FROM schedule_fires WHERE job_id = $1 AND fire_at < $2`,
          [job.job.id, at],
        )) as { at: Date | null }[];
        const previous = recorded?.at ?? previousFire(spec, new Date(at.getTime() - 60_000));
        const [arrived] = (await this.deps.ds.query(
          `SELECT id FROM job_runs WHERE job_id = $1 AND created_at > $2 AND created_at <= $3
            ORDER BY created_at DESC LIMIT 1`,
          [job.job.id, previous ?? new Date(0), at],
        )) as { id: string }[];
        runId = arrived?.id ?? null;
        outcome = arrived ? 'STARTED' : 'MISSED';
        detail = arrived
          ? `run ${arrived.id} started on a file that arrived in time`
          : `no file arrived in the inbox since ${previous ? previous.toISOString() : 'the schedule began'}`;
      }
    } catch (err) {
      outcome = err instanceof StrongroomError && err.code === 'SOURCE_UNAVAILABLE' ? 'MISSED' : 'FAILED';
      detail = (err as Error).message;
    }
    // a file that is there but unchanged is the day's file missing too
    const missed = outcome === 'MISSED' || outcome === 'ALREADY_LOADED';
    await this.deps.ds.transaction(async (em) => {
      await em.query(
        `UPDATE schedule_fires SET outcome = $3, run_id = $4, detail = $5 WHERE job_id = $1 AND fire_at = $2`,
        [job.job.id, at, outcome, runId, detail.slice(0, 1000)],
      );
      await appendAudit(sqlExec(em), {
        actor: SCHEDULE_ACTOR,
        action: missed ? 'schedule:missed' : outcome === 'FAILED' ? 'schedule:failed' : 'schedule:fired',
        subject: { jobId: job.job.id, ...(runId ? { runId } : {}) },
        details: { fireAt: at.toISOString(), timezone: spec.timezone, outcome, detail },
      });
    });
    this.deps.onFire?.(job.job.name, outcome);
    const log = missed || outcome === 'FAILED' ? this.deps.logger.warn : this.deps.logger.info;
    log.call(this.deps.logger, missed ? 'schedule:missed' : 'schedule:fired', {
      jobId: job.job.id,
      fireAt: at.toISOString(),
      outcome,
      detail,
    });
  }
}
