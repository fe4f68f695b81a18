import { type JobRunEntity } from '@strongroom/db';
import { wallClock } from '../jobs/schedule';
/**
 * Service-level status of a run against its job's SLA (`sla.deadline`, `sla.maxErrorRate`):
 *
 * - **BREACHED**: the deadline passed before the run finished (or it finished after it), or the share
 *   of dead-lettered records is above `maxErrorRate`;
 * - **AT_RISK**: the run would finish after the deadline at its current throughput (bytes read per
 *   second since it started, projected over the bytes left), or its error rate is above 80 % of the
 *   maximum — failure prediction;
 * - **ON_TRACK**: none of these; also a finished run that met both.
 *
 * A job without an SLA has status NONE. Pure function: the caller passes `now`.
 */
export type SlaStatus = 'NONE' | 'ON_TRACK' | 'AT_RISK' | 'BREACHED';

export interface Sla {
  /** ISO 8601 with offset. */
  deadline?: string | undefined;
  /**
   * A deadline each day: "HH:MM" local in `timezone`, on the day (local) the run was created — a file that
   * arrives after it is late at once.
   */
  deadlineTime?: string | undefined;
  /** IANA zone of deadlineTime (default UTC; a job with a schedule uses the schedule's). */
  timezone?: string | undefined;
  /** 0..1 */
  maxErrorRate?: number | undefined;
}

export interface SlaRunFacts {
  status: string;
  /** When the run was created (its file submitted or arrived): the day a deadlineTime applies to. */
  createdAt?: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  read: number;
  deadLettered: number;
  bytesRead: number;
  sourceBytes: number;
}

export interface SlaEvaluation {
  status: SlaStatus;
  deadline: Date | null;
  /** When the run would finish at its current throughput (running runs with progress), else null. */
  projectedFinish: Date | null;
  errorRate: number;
  maxErrorRate: number | null;
  /** Why, in words ("projected to finish 2026-12-01T06:40:00Z, 40 min after the deadline"). */
  reason: string;
}

/** Share of the maximum error rate from which a run is AT_RISK. */
export const ERROR_RATE_WARNING = 0.8;

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** The instant of local wall time `hh:mm` on local date `date` (YYYY-MM-DD) in `tz` (DST-aware). */
export function localInstant(date: string, hhmm: string, tz: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = hhmm.split(':').map(Number) as [number, number];
  const want = Date.UTC(y, mo - 1, d, h, mi);
  // the zone's offset at a guess, applied, then checked once more (a guess across a DST change moves)
  let t = want;
  for (let i = 0; i < 3; i++) {
    const w = wallClock(new Date(t), tz);
    const seen = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
    if (seen === want) break;
    t += want - seen;
  }
  return new Date(t);
}

/** The deadline of a run: the absolute one, or deadlineTime on the local day the run was created. */
export function runDeadline(sla: Sla | null | undefined, createdAt: Date | null | undefined): Date | null {
  if (sla?.deadline) return new Date(sla.deadline);
  if (!sla?.deadlineTime || !createdAt) return null;
  const tz = sla.timezone ?? 'UTC';
  return localInstant(wallClock(createdAt, tz).date, sla.deadlineTime, tz);
}

export function evaluateSla(sla: Sla | null | undefined, run: SlaRunFacts, now: Date): SlaEvaluation {
  const deadline = runDeadline(sla, run.createdAt);
  const maxErrorRate = sla?.maxErrorRate ?? null;
  const errorRate = run.read > 0 ? run.deadLettered / run.read : 0;
  const base = { deadline, projectedFinish: null as Date | null, errorRate, maxErrorRate };
  if (!deadline && maxErrorRate === null) return { ...base, status: 'NONE', reason: 'the job has no SLA' };
  const finished = FINISHED.has(run.status);
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  if (maxErrorRate !== null && errorRate > maxErrorRate) {
    return {
      ...base,
      status: 'BREACHED',
      reason: `error rate ${pct(errorRate)} is above the maximum ${pct(maxErrorRate)}`,
    };
  }
  if (deadline) {
    const end = finished ? (run.finishedAt ?? now) : now;
    if (end.getTime() > deadline.getTime()) {
      return {
        ...base,
        status: 'BREACHED',
        reason: finished
          ? `finished at ${end.toISOString()}, after the deadline ${deadline.toISOString()}`
          : `still ${run.status} after the deadline ${deadline.toISOString()}`,
      };
    }
  }
  if (finished) return { ...base, status: 'ON_TRACK', reason: 'finished within its SLA' };
  let projectedFinish: Date | null = null;
  if (deadline && run.startedAt && run.bytesRead > 0 && run.sourceBytes > 0) {
    const elapsed = now.getTime() - run.startedAt.getTime();
    const left = Math.max(run.sourceBytes - run.bytesRead, 0);
    projectedFinish = new Date(now.getTime() + (elapsed * left) / run.bytesRead);
    if (projectedFinish.getTime() > deadline.getTime()) {
      const late = Math.round((projectedFinish.getTime() - deadline.getTime()) / 60_000);
      return {
        ...base,
        projectedFinish,
        status: 'AT_RISK',
        reason: `projected to finish ${projectedFinish.toISOString()} at the current throughput, ${late} min after the deadline`,
      };
    }
  }
  if (maxErrorRate !== null && maxErrorRate > 0 && errorRate > ERROR_RATE_WARNING * maxErrorRate) {
    return {
      ...base,
      projectedFinish,
      status: 'AT_RISK',
      reason: `error rate ${pct(errorRate)} is close to the maximum ${pct(maxErrorRate)}`,
    };
  }
  return {
    ...base,
    projectedFinish,
    status: 'ON_TRACK',
    reason: projectedFinish ? `projected to finish ${projectedFinish.toISOString()}` : 'on track',
  };
}

/** A run's SLA now: the facts of its row (status, times, counters, bytes) judged against the job's SLA. */
export function evaluateRunSla(sla: Sla | null | undefined, run: JobRunEntity, now: Date = new Date()): SlaEvaluation {
  return evaluateSla(
    sla,
    {
      status: run.status,
      createdAt: run.createdAt ?? null,
      startedAt: run.startedAt ?? null,
      finishedAt: run.finishedAt ?? null,
      read: Number(run.recordsRead),
      deadLettered: Number(run.recordsDeadLettered),
      bytesRead: Number(run.bytesRead),
      sourceBytes: Number(run.sourceBytes),
    },
    now,
  );
}
