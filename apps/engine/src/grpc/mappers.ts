import {
  type CurrencyTotal,
  type Job,
  PartitionState,
  type Run,
  type RunPartition,
  RunStatus,
  SlaStatus,
} from '@strongroom/contract';
import { type JobEntity, type JobRunEntity, type RunStatus as DbRunStatus } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { evaluateRunSla, type PartitionView, type Sla, type SlaEvaluation } from '@strongroom/pipeline';

const STATUS_TO_PROTO: Record<DbRunStatus, RunStatus> = {
  PENDING: RunStatus.RUN_STATUS_PENDING,
  RUNNING: RunStatus.RUN_STATUS_RUNNING,
  PAUSED: RunStatus.RUN_STATUS_PAUSED,
  SUCCEEDED: RunStatus.RUN_STATUS_SUCCEEDED,
  FAILED: RunStatus.RUN_STATUS_FAILED,
  CANCELLED: RunStatus.RUN_STATUS_CANCELLED,
};

/**
 * The database value of a proto enum value, by the DB → proto table: undefined for UNSPECIFIED (0, "no
 * filter"), INVALID_ARGUMENT naming `what` for a value the table does not have.
 */
export function fromProtoEnum<D extends string>(table: Record<D, number>, value: number, what: string): D | undefined {
  if (value === 0) return undefined;
  const found = (Object.keys(table) as D[]).find((k) => table[k] === value);
  if (!found) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `unknown ${what} ${value}`);
  return found;
}

export function statusFromProto(s: RunStatus): DbRunStatus | undefined {
  return fromProtoEnum(STATUS_TO_PROTO, s, 'run status');
}

/**
 * How a caller sees source paths: as stored (staff), or relative to their source root (viewers: the host's
 * layout is not theirs to see). `path` maps one path, `text` every root path inside a message.
 */
export interface PathView {
  path(p: string): string;
  text(t: string): string;
}

export const AS_STORED: PathView = { path: (p) => p, text: (t) => t };

export function jobToProto(job: JobEntity, definitionJson: string, view: PathView = AS_STORED): Job {
  return {
    id: job.id,
    name: job.name,
    version: job.currentVersion,
    definitionJson: view === AS_STORED ? definitionJson : definitionWithView(definitionJson, view),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    sourceKind: job.sourceKind,
    sinkTable: job.sinkTable,
  };
}

type TotalsJson = Record<string, { count: string; amount: string }> | null;

function totalsToProto(t: TotalsJson): CurrencyTotal[] {
  return Object.entries(t ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, v]) => ({ currency, count: Number(v.count), amount: v.amount }));
}

/** What a run's message needs from its job: the name, and the SLA of the job version the run used. */
export interface RunJobInfo {
  name: string;
  sla: Sla | null;
}

const SLA_TO_PROTO: Record<SlaEvaluation['status'], SlaStatus> = {
  NONE: SlaStatus.SLA_STATUS_NONE,
  ON_TRACK: SlaStatus.SLA_STATUS_ON_TRACK,
  AT_RISK: SlaStatus.SLA_STATUS_AT_RISK,
  BREACHED: SlaStatus.SLA_STATUS_BREACHED,
};

/** The run against its SLA, now (see libs/pipeline/src/run/sla.ts). */
export function runSla(run: JobRunEntity, sla: Sla | null | undefined, now = new Date()): SlaEvaluation {
  return evaluateRunSla(sla, run, now);
}

/** The definition's source path (and base directory) as the view shows them. */
function definitionWithView(json: string, view: PathView): string {
  const def = JSON.parse(json) as { source?: { path?: unknown; baseDir?: unknown } };
  if (def.source && typeof def.source.path === 'string') def.source.path = view.path(def.source.path);
  if (def.source && typeof def.source.baseDir === 'string') def.source.baseDir = view.path(def.source.baseDir);
  return JSON.stringify(def);
}

export function runToProto(run: JobRunEntity, job?: RunJobInfo, view: PathView = AS_STORED): Run {
  const jobName = job?.name ?? '';
  const sla = runSla(run, job?.sla);
  const started = run.startedAt?.getTime();
  const end = run.finishedAt?.getTime() ?? Date.now();
  const seconds = started ? Math.max((end - started) / 1000, 0.001) : 0;
  return {
    id: run.id,
    jobId: run.jobId,
    jobName,
    jobVersion: run.jobVersion,
    status: STATUS_TO_PROTO[run.status],
    read: Number(run.recordsRead),
    loaded: Number(run.recordsLoaded),
    inSink: run.status === 'FAILED' || run.status === 'CANCELLED' ? 0 : Number(run.recordsLoaded),
    deadLettered: Number(run.recordsDeadLettered),
    filtered: Number(run.recordsFiltered),
    identifiersTokenized: Number(run.identifiersTokenized ?? 0),
    filteredByReason: Object.entries(run.filteredByReason ?? {}).map(([reason, count]) => ({ reason, count })),
    sourcePath: view.path(run.sourcePath),
    sourceSha256: run.sourceSha256,
    sourceBytes: Number(run.sourceBytes),
    bytesRead: Number(run.bytesRead),
    batchesCommitted: run.batchesCommitted,
    createdAt: run.createdAt,
    startedAt: run.startedAt ?? undefined,
    finishedAt: run.finishedAt ?? undefined,
    statusReason: run.statusReason ?? '',
    attempts: run.attempts,
    errorCode: run.errorCode ?? '',
    errorMessage: view.text(run.errorMessage ?? ''),
    recordsPerSecond: seconds ? Number(run.recordsRead) / seconds : 0,
    reconciliation:
      run.reconciled === null
        ? undefined
        : {
            reconciled: run.reconciled,
            sourceTotals: totalsToProto(run.sourceTotals as TotalsJson),
            sinkTotals: totalsToProto(run.sinkTotals as TotalsJson),
            reason: run.reconciliationReason ?? '',
          },
    sla: {
      status: SLA_TO_PROTO[sla.status],
      deadline: sla.deadline ?? undefined,
      projectedFinish: sla.projectedFinish ?? undefined,
      errorRate: sla.errorRate,
      maxErrorRate: sla.maxErrorRate ?? 0,
      hasMaxErrorRate: sla.maxErrorRate !== null,
      reason: sla.reason,
    },
  };
}

const PARTITION_STATES: Record<PartitionView['state'], PartitionState> = {
  OPEN: PartitionState.PARTITION_STATE_OPEN,
  HELD: PartitionState.PARTITION_STATE_HELD,
  DONE: PartitionState.PARTITION_STATE_DONE,
};

/** A partition of a file run (ListRunPartitions). */
export function partitionToProto(p: PartitionView): RunPartition {
  return {
    partitionNo: p.partitionNo,
    state: PARTITION_STATES[p.state],
    owner: p.owner ?? '',
    leaseEpoch: Number(p.leaseEpoch),
    leaseExpiresAt: p.leaseExpiresAt ?? undefined,
    startByte: Number(p.startByte),
    endByte: Number(p.endByte),
    nextOffset: Number(p.nextOffset),
    read: Number(p.read),
    loaded: Number(p.loaded),
    deadLettered: Number(p.deadLettered),
    filtered: Number(p.filtered),
    batchesCommitted: p.batchesCommitted,
    fencedBatches: p.fencedBatches,
  };
}
