import { type JobRunEntity } from '@strongroom/db';
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
  /** 0..1 */
  maxErrorRate?: number | undefined;
}

export interface SlaRunFacts {
  status: string;
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

export function evaluateSla(sla: Sla | null | undefined, run: SlaRunFacts, now: Date): SlaEvaluation {
  const deadline = sla?.deadline ? new Date(sla.deadline) : null;
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
