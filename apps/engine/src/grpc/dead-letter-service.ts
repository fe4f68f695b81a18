import { type UntypedHandleCall } from '@grpc/grpc-js';
import { type DeadLetter, DeadLetterStatus, type DeadLetterServiceServer } from '@strongroom/contract';
import { type DataSource, type DeadLetterEntity, type DeadLetterStatus as DbStatus } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import {
  countDeadLetters,
  discardDeadLetters,
  isUuid,
  listDeadLetters,
  operatorText,
  replayDeadLetters,
  type RunContext,
} from '@strongroom/pipeline';
import { type CallScope, requireAction, unary } from './call-scope';
import { type FourEyes } from '../compliance/four-eyes';
import { fromProtoEnum } from './mappers';

const TO_PROTO: Record<DbStatus, DeadLetterStatus> = {
  PENDING: DeadLetterStatus.DEAD_LETTER_STATUS_PENDING,
  REPLAYED: DeadLetterStatus.DEAD_LETTER_STATUS_REPLAYED,
  DISCARDED: DeadLetterStatus.DEAD_LETTER_STATUS_DISCARDED,
};

const statusFromProto = (s: DeadLetterStatus): DbStatus | undefined => fromProtoEnum(TO_PROTO, s, 'dead letter status');

function toProto(d: DeadLetterEntity): DeadLetter {
  return {
    id: d.id,
    runId: d.runId,
    jobId: d.jobId,
    recordNo: Number(d.recordNo),
    rawRecord: d.rawRecord,
    reasonCode: d.reasonCode,
    reasonMessage: d.reasonMessage,
    field: d.field ?? '',
    attempts: d.attempts,
    status: TO_PROTO[d.status],
    resolution: d.resolution ?? '',
    resolvedBy: d.resolvedBy ?? '',
    createdAt: d.createdAt,
    resolvedAt: d.resolvedAt ?? undefined,
  };
}

function optionalUuid(v: string, name: string): string | undefined {
  if (!v) return undefined;
  if (!isUuid(v)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `${name} is not an id`);
  return v;
}

/** DeadLetterService: list, replay (idempotent), discard — replay and discard audited with the caller. */
export function deadLetterServiceHandlers(deps: {
  ds: DataSource;
  ctx: RunContext;
  logger: Logger;
  /** Four eyes: a discard becomes a request another person approves (when enabled). */
  fourEyes?: FourEyes;
}): DeadLetterServiceServer & Record<string, UntypedHandleCall> {
  const { ds } = deps;
  const scope: CallScope = { logger: deps.logger, ...(deps.ctx.db ? { db: deps.ctx.db } : {}) };
  return {
    listDeadLetters: unary(scope, 'ListDeadLetters', async (req) => {
      const { deadLetters, next } = await listDeadLetters(
        ds,
        {
          runId: optionalUuid(req.runId, 'run_id'),
          jobId: optionalUuid(req.jobId, 'job_id'),
          status: statusFromProto(req.status),
          reasonCode: req.reasonCode || undefined,
        },
        req.pageSize,
        req.pageToken || undefined,
      );
      return { deadLetters: deadLetters.map(toProto), nextPageToken: next };
    }),
    countDeadLetters: unary(scope, 'CountDeadLetters', async (req) => {
      const { reasons, total } = await countDeadLetters(ds, {
        runId: optionalUuid(req.runId, 'run_id'),
        jobId: optionalUuid(req.jobId, 'job_id'),
        status: statusFromProto(req.status),
      });
      return {
        reasons: reasons.map((r) => ({ reasonCode: r.reasonCode, count: Number(r.count) })),
        total: Number(total),
      };
    }),
    replayDeadLetters: unary(scope, 'ReplayDeadLetters', async (req, log, actor, caller) => {
      if (req.corrections.length) requireAction(caller, 'ReplayDeadLetters.corrections', 'a replay with corrections');
      const corrections = new Map(req.corrections.map((c) => [c.id, c.rawRecord]));
      const outcomes = await replayDeadLetters(
        {
          ...deps.ctx,
          // a KYC run's dead letters go into the KYC register
          authorizeKycRegister: () =>
            requireAction(
              caller,
              'WriteKycRegister',
              'replaying dead letters of a KYC job (it writes the KYC register)',
            ),
        },
        {
          ids: req.ids,
          runId: optionalUuid(req.runId, 'run_id'),
          corrections,
          ...(req.reason.trim() ? { reason: operatorText(req.reason, 'a reason') } : {}),
        },
        actor,
      );
      const count = (o: string) => outcomes.filter((x) => x.outcome === o).length;
      log.info('dlq:replayed', {
        loaded: count('LOADED'),
        stillFailing: count('STILL_FAILING'),
        skipped: count('SKIPPED'),
      });
      return {
        loaded: count('LOADED'),
        alreadyLoaded: count('ALREADY_LOADED'),
        stillFailing: count('STILL_FAILING'),
        skipped: count('SKIPPED'),
        outcomes: outcomes.map((o) => ({
          id: o.id,
          outcome: o.outcome,
          reasonCode: o.reasonCode ?? '',
          reasonMessage: o.reasonMessage ?? '',
        })),
      };
    }),
    discardDeadLetters: unary(scope, 'DiscardDeadLetters', async (req, log, actor, caller) => {
      await deps.fourEyes?.gate('DiscardDeadLetters', { ids: req.ids }, req.reason, caller);
      const r = await discardDeadLetters(ds, req.ids, req.reason, actor);
      log.info('dlq:discarded', r);
      return r;
    }),
  };
}
