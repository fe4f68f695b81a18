import { type UntypedHandleCall } from '@grpc/grpc-js';
import { type Alert, AlertStatus, type ComplianceServiceServer } from '@strongroom/contract';
import { type AlertStatus as DbStatus, type ComplianceAlertEntity, type DataSource } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { listAlerts, transitionAlert, type ScreeningSetup } from '@strongroom/pipeline';
import { type Breaker } from '@strongroom/resilience';
import { type CallScope, unary } from './job-service';

const TO_PROTO: Record<DbStatus, AlertStatus> = {
  OPEN: AlertStatus.ALERT_STATUS_OPEN,
  ESCALATED: AlertStatus.ALERT_STATUS_ESCALATED,
  CLOSED: AlertStatus.ALERT_STATUS_CLOSED,
};

function statusFromProto(s: AlertStatus): DbStatus | undefined {
  if (s === AlertStatus.ALERT_STATUS_UNSPECIFIED) return undefined;
  const found = (Object.keys(TO_PROTO) as DbStatus[]).find((k) => TO_PROTO[k] === s);
  if (!found) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `unknown alert status ${s}`);
  return found;
}

export function alertToProto(a: ComplianceAlertEntity): Alert {
  return {
    id: a.id,
    rule: a.rule,
    score: a.score,
    status: TO_PROTO[a.status],
    sourceSystem: a.sourceSystem,
    txnId: a.txnId,
    account: a.account,
    bookedAt: a.bookedAt,
    jobId: a.jobId,
    runId: a.runId,
    evidenceJson: JSON.stringify(a.evidence),
    statusReason: a.statusReason ?? '',
    statusChangedBy: a.statusChangedBy ?? '',
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/** ComplianceService: alerts and their lifecycle, and name screening against the engine's lists. */
export function complianceServiceHandlers(deps: { ds: DataSource; db?: Breaker; screening: ScreeningSetup; logger: Logger }): ComplianceServiceServer & Record<string, UntypedHandleCall> {
  const { ds, screening } = deps;
  const scope: CallScope = { logger: deps.logger, ...(deps.db ? { db: deps.db } : {}) };
  return {
    listAlerts: unary(scope, 'ListAlerts', async (req) => {
      const status = statusFromProto(req.status);
      const { alerts, next } = await listAlerts(
        ds,
        { ...(req.rule ? { rule: req.rule } : {}), ...(status ? { status } : {}), ...(req.runId ? { runId: req.runId } : {}), ...(req.account ? { account: req.account } : {}) },
        req.pageSize,
        req.pageToken || undefined,
      );
      return { alerts: alerts.map(alertToProto), nextPageToken: next };
    }),
    transitionAlert: unary(scope, 'TransitionAlert', async (req, log, actor) => {
      const to = statusFromProto(req.to);
      if (!to) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'to is required (ESCALATED or CLOSED)');
      const alert = await transitionAlert(ds, req.id, to, req.reason, actor);
      log.info('alert:transitioned', { alertId: alert.id, to });
      return { alert: alertToProto(alert) };
    }),
    screenNames: unary(
      { logger: deps.logger },
      'ScreenNames',
      async (req) => {
        const screener = screening.screener;
        if (!screener) throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, 'no sanctions list is loaded (set STRONGROOM_SANCTIONS_LISTS)');
        if (req.names.length > 10_000) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'at most 10000 names per call');
        if (req.threshold !== 0 && !(req.threshold > 0 && req.threshold <= 1)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'threshold must be in (0, 1]');
        const threshold = req.threshold || screening.threshold;
        const run = async () => req.names.map((name) => ({ name, ...screener.screen(name, threshold) }));
        const results = await (screening.breaker ? screening.breaker.call(run) : run());
        return {
          threshold,
          lists: screener.sources.map((s) => `${s.file} sha256:${s.sha256}`),
          results: results.map((r) => ({ name: r.name, hit: r.hit, score: r.score, matchedName: r.matchedName, entryId: r.entryId, primaryName: r.primaryName, programs: r.programs })),
        };
      },
      { database: false },
    ),
  };
}
