import path from 'node:path';
import { type UntypedHandleCall } from '@grpc/grpc-js';
import { confineSourcePath, type SourceRoots } from '@strongroom/connectors';
import { reloadScreening } from '../compliance/screening';
import { loadKycRecords } from '../compliance/kyc-load';
import {
  type Alert,
  type Approval,
  AlertOrder,
  AlertStatus,
  type ComplianceServiceServer,
  type KeyRotation as KeyRotationProto,
  type LegalHold,
} from '@strongroom/contract';
import {
  type AlertStatus as DbStatus,
  type ComplianceAlertEntity,
  type DataSource,
  type HoldScope,
  type LegalHoldEntity,
  sqlExec,
} from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { appendAudit } from '@strongroom/audit';
import {
  buildReport,
  isUuid,
  operatorText,
  getKeyRotation,
  listAlerts,
  listHolds,
  placeHold,
  type AccountForms,
  purgeExpired,
  releaseHold,
  reportToCsv,
  transitionAlert,
  type KeyRotation,
  type ReportInputs,
  type RetentionPolicy,
  type ScreeningSetup,
} from '@strongroom/pipeline';
import { type KeyRotator } from '../compliance/key-rotator';
import { type ApprovalRow, type FourEyes } from '../compliance/four-eyes';
import { type Breaker } from '@strongroom/resilience';
import { type CallScope, type Caller, unary } from './call-scope';
import { AUDITORS } from '@strongroom/auth';
import { blindIndex, decryptField, isEncrypted, type KeyProvider, type PanProtector } from '@strongroom/compliance';
import { fromProtoEnum } from './mappers';

const TO_PROTO: Record<DbStatus, AlertStatus> = {
  OPEN: AlertStatus.ALERT_STATUS_OPEN,
  ESCALATED: AlertStatus.ALERT_STATUS_ESCALATED,
  CLOSED: AlertStatus.ALERT_STATUS_CLOSED,
};

const statusFromProto = (s: AlertStatus): DbStatus | undefined => fromProtoEnum(TO_PROTO, s, 'alert status');
const ORDER_TO_PROTO: Record<'newest' | 'priority', AlertOrder> = {
  newest: AlertOrder.ALERT_ORDER_NEWEST,
  priority: AlertOrder.ALERT_ORDER_PRIORITY,
};

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

/** The sink fields RevealValue reads (the ones a job may classify RESTRICTED). */
const REVEALABLE = ['account', 'counterparty_account', 'counterparty_name', 'reference'];

/** The evidence keys that hold an account or a name, and the sink column each was encrypted as. */
const EVIDENCE_COLUMNS: Record<string, string> = {
  account: 'account',
  screenedName: 'counterparty_name',
  counterpartyAccount: 'counterparty_account',
  creditTransaction: 'account',
  customerId: 'account',
};
const lastFour = (v: string) => (v.length <= 4 ? '****' : `****${v.slice(-4)}`);

/** A stored value decrypted when it is a RESTRICTED ciphertext ("[encrypted]" when its key is gone). */
function decryptedOrMarked(keys: KeyProvider | undefined, value: string, column: string): string {
  if (!isEncrypted(value) || !keys) return value;
  try {
    return decryptField(keys, column, value);
  } catch {
    return '[encrypted]';
  }
}

/**
 * An alert as the caller may see it: a RESTRICTED (encrypted) account or name decrypted — an operator is
 * shown its last four characters, not those of its ciphertext — and shown whole only to the roles that read
 * unmasked evidence (auditor, admin).
 */
function readableAlert(alert: Alert, keys: KeyProvider | undefined, caller: Caller): Alert {
  const unmasked = caller.roles.some((r) => AUDITORS.includes(r));
  const clear = (value: string, column: string) => decryptedOrMarked(keys, value, column);
  const show = (value: string, column: string) => (unmasked ? clear(value, column) : lastFour(clear(value, column)));
  const evidence = JSON.parse(alert.evidenceJson) as Record<string, unknown>;
  for (const [k, column] of Object.entries(EVIDENCE_COLUMNS))
    if (typeof evidence[k] === 'string') evidence[k] = show(evidence[k] as string, column);
  return { ...alert, account: show(alert.account, 'account'), evidenceJson: JSON.stringify(evidence) };
}

function approvalToProto(a: ApprovalRow): Approval {
  return {
    id: a.id,
    action: a.action,
    paramsJson: JSON.stringify(a.params),
    reason: a.reason,
    requestedBy: a.requested_by,
    requestedAt: a.requested_at,
    status: a.status,
    decidedBy: a.decided_by ?? '',
    decidedAt: a.decided_at ?? undefined,
    decisionReason: a.decision_reason ?? '',
    resultJson: a.result === null ? '' : JSON.stringify(a.result),
  };
}

/** ComplianceService: alerts and their lifecycle, and name screening against the engine's lists. */
export function complianceServiceHandlers(deps: {
  ds: DataSource;
  db?: Breaker;
  screening: ScreeningSetup;
  retention: RetentionPolicy;
  report: ReportInputs;
  rotator: KeyRotator;
  logger: Logger;
  /** The field keys, to show RESTRICTED accounts and names decrypted (masked or whole, by role). */
  fieldKeys?: KeyProvider;
  /** Card-number tokens: a card-shaped account is held in the form the sink stores it. */
  pan?: PanProtector;
  /** Four eyes: governed actions become requests another person approves (when enabled). */
  fourEyes?: FourEyes;
  /** Where sanctions list files loaded at run time may be read from. */
  sourceRoots?: SourceRoots;
}): ComplianceServiceServer & Record<string, UntypedHandleCall> {
  const { ds, screening } = deps;
  const keys = deps.fieldKeys;
  const accounts: AccountForms = {
    stored: (clear) => (deps.pan ? deps.pan.tokenizeInText(clear) : clear),
    ...(keys ? { blindIndex: (stored: string) => blindIndex(keys, 'account', stored) } : {}),
  };
  const scope: CallScope = { logger: deps.logger, ...(deps.db ? { db: deps.db } : {}) };
  return {
    listAlerts: unary(scope, 'ListAlerts', async (req, _log, _actor, caller) => {
      const status = statusFromProto(req.status);
      const { alerts, next } = await listAlerts(
        ds,
        {
          ...(req.rule ? { rule: req.rule } : {}),
          ...(status ? { status } : {}),
          ...(req.runId ? { runId: req.runId } : {}),
          ...(req.account ? { account: req.account } : {}),
        },
        req.pageSize,
        req.pageToken || undefined,
        fromProtoEnum(ORDER_TO_PROTO, req.order, 'alert order') ?? 'newest',
      );
      return {
        alerts: alerts.map((a) => readableAlert(alertToProto(a), deps.fieldKeys, caller)),
        nextPageToken: next,
      };
    }),
    transitionAlert: unary(scope, 'TransitionAlert', async (req, log, actor, caller) => {
      const to = statusFromProto(req.to);
      if (!to) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'to is required (ESCALATED or CLOSED)');
      if (to === 'CLOSED') await deps.fourEyes?.gate('CloseAlert', { id: req.id }, req.reason, caller);
      const alert = await transitionAlert(ds, req.id, to, req.reason, actor);
      log.info('alert:transitioned', { alertId: alert.id, to });
      return { alert: readableAlert(alertToProto(alert), deps.fieldKeys, caller) };
    }),
    loadSanctionsLists: unary(scope, 'LoadSanctionsLists', async (req, log, actor) => {
      if (!req.files.length) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'files: at least one list file');
      if (req.files.length > 20) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'files: at most 20 list files');
      const reason = operatorText(req.reason, 'a reason to load sanctions lists');
      const files = req.files.map((f) => {
        if (!path.isAbsolute(f)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `${f}: an absolute path`);
        if (!deps.sourceRoots)
          throw new StrongroomError(
            ErrorCode.FAILED_PRECONDITION,
            'this engine has no source roots to read lists from',
          );
        return confineSourcePath(f, deps.sourceRoots, 'sanctions list');
      });
      return reloadScreening(screening, files, ds, log, actor, reason);
    }),
    loadKycRecords: unary(scope, 'LoadKycRecords', async (req, _log, actor) => {
      const reason = operatorText(req.reason, 'a reason to load KYC records');
      if (!path.isAbsolute(req.file)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'file: an absolute path');
      if (!deps.sourceRoots)
        throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, 'this engine has no source roots to read files from');
      const file = confineSourcePath(req.file, deps.sourceRoots, 'KYC file');
      return loadKycRecords(ds, file, actor, reason);
    }),
    screenNames: unary(
      { logger: deps.logger },
      'ScreenNames',
      async (req) => {
        // the lists in force (another replica may have loaded new ones); with the database away, the ones held
        await screening.refresh?.({ maxAgeMs: 1000 }).catch(() => undefined);
        if (screening.unavailable) throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, screening.unavailable);
        const screener = screening.screener;
        if (!screener)
          throw new StrongroomError(
            ErrorCode.FAILED_PRECONDITION,
            'no sanctions list is loaded (set STRONGROOM_SANCTIONS_LISTS)',
          );
        if (req.names.length > 10_000)
          throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'at most 10000 names per call');
        if (req.threshold !== 0 && !(req.threshold > 0 && req.threshold <= 1))
          throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'threshold must be in (0, 1]');
        const threshold = req.threshold || screening.threshold;
        const run = async () => req.names.map((name) => ({ name, ...screener.screen(name, threshold) }));
        const results = await (screening.breaker ? screening.breaker.call(run) : run());
        return {
          threshold,
          lists: screener.sources.map((s) => `${s.file} sha256:${s.sha256}`),
          results: results.map((r) => ({
            name: r.name,
            hit: r.hit,
            score: r.score,
            matchedName: r.matchedName,
            entryId: r.entryId,
            primaryName: r.primaryName,
            programs: r.programs,
          })),
        };
      },
      { database: false },
    ),
    placeLegalHold: unary(scope, 'PlaceLegalHold', async (req, log, actor) => {
      const { hold, coveredRows } = await placeHold(ds, req.scope as HoldScope, req.value, req.reason, actor, accounts);
      log.info('hold:placed', { holdId: hold.id, scope: hold.scope, coveredRows });
      return { hold: holdToProto(hold), coveredRows };
    }),
    releaseLegalHold: unary(scope, 'ReleaseLegalHold', async (req, log, actor, caller) => {
      await deps.fourEyes?.gate('ReleaseLegalHold', { holdId: req.id }, req.reason, caller);
      const hold = await releaseHold(ds, req.id, req.reason, actor);
      log.info('hold:released', { holdId: hold.id });
      return { hold: holdToProto(hold) };
    }),
    rotateFieldKeys: unary(scope, 'RotateFieldKeys', async (_req, log, actor) => {
      const rotation = await deps.rotator.start(actor);
      log.info('keys:rotation-requested', { rotationId: rotation.id, toKeyId: rotation.toKeyId });
      return { rotation: rotationToProto(rotation) };
    }),
    getKeyRotation: unary(scope, 'GetKeyRotation', async (req) => {
      if (req.id && !/^[0-9a-f-]{36}$/.test(req.id))
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'id is not a rotation id');
      const rotation = await getKeyRotation(ds, req.id || undefined);
      if (!rotation)
        throw new StrongroomError(
          ErrorCode.NOT_FOUND,
          req.id ? `key rotation ${req.id} not found` : 'no key rotation yet',
        );
      return { rotation: rotationToProto(rotation) };
    }),
    getReport: unary(scope, 'GetReport', async (req, log) => {
      const report = await buildReport(ds, req.framework, req.from, req.to, {
        ...deps.report,
        accounts,
        readable: (value, column) => decryptedOrMarked(deps.fieldKeys, value, column),
      });
      log.info('report:built', { framework: report.framework, from: report.from, to: report.to });
      return { reportJson: JSON.stringify(report), reportCsv: reportToCsv(report) };
    }),
    listLegalHolds: unary(scope, 'ListLegalHolds', async (req) => ({
      holds: (await listHolds(ds, req.activeOnly)).map(holdToProto),
    })),
    purgeExpired: unary(scope, 'PurgeExpired', async (req, log, actor, caller) => {
      if (!req.dryRun) await deps.fourEyes?.gate('PurgeExpired', {}, req.reason || 'retention purge', caller);
      const r = await purgeExpired(ds, deps.retention, actor, { dryRun: req.dryRun });
      log.info(req.dryRun ? 'retention:dry-run' : 'retention:purged', {
        purged: r.purged,
        held: r.held,
        deadLetters: r.deadLettersPurged,
      });
      return {
        dryRun: r.dryRun,
        purged: r.purged,
        held: r.held,
        deadLettersPurged: r.deadLettersPurged,
        jobs: r.jobs.map((j) => ({ ...j, cutoff: new Date(j.cutoff) })),
      };
    }),
    revealValue: unary(scope, 'RevealValue', async (req, log, actor) => {
      const why = operatorText(req.reason, 'a reason');
      const kind = req.kind.toUpperCase();
      const field = kind === 'DEAD_LETTER' ? 'raw_record' : req.field;
      if (kind !== 'TRANSACTION' && kind !== 'DEAD_LETTER')
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'kind must be TRANSACTION or DEAD_LETTER');
      if (kind === 'TRANSACTION' && !REVEALABLE.includes(field))
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `field must be one of ${REVEALABLE.join(', ')}`);
      if (!/^[0-9]{1,19}$/.test(req.id)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'id is not a row id');
      const table = kind === 'TRANSACTION' ? 'transactions' : 'dead_letter_queue';
      const [row] = (await ds.query(`SELECT ${field} AS v FROM ${table} WHERE id = $1`, [req.id])) as {
        v: string | null;
      }[];
      if (!row)
        throw new StrongroomError(ErrorCode.NOT_FOUND, `${kind.toLowerCase().replace('_', ' ')} ${req.id} not found`);
      const stored = row.v ?? '';
      const encrypted = isEncrypted(stored);
      if (encrypted && !deps.fieldKeys)
        throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, 'the engine has no field keys to decrypt with');
      const value = encrypted ? decryptField(deps.fieldKeys as KeyProvider, field, stored) : stored;
      await ds.transaction((em) =>
        appendAudit(sqlExec(em), {
          actor,
          action: 'value:revealed',
          subject: { kind, id: req.id, field },
          details: { reason: why, wasEncrypted: encrypted },
        }),
      );
      log.info('value:revealed', { kind, id: req.id, field });
      return { value, wasEncrypted: encrypted };
    }),
    listApprovals: unary(scope, 'ListApprovals', async (req) => ({
      approvals: deps.fourEyes ? (await deps.fourEyes.list(req.status)).map(approvalToProto) : [],
    })),
    decideApproval: unary(scope, 'DecideApproval', async (req, log, _actor, caller) => {
      if (!deps.fourEyes?.enabled)
        throw new StrongroomError(
          ErrorCode.FAILED_PRECONDITION,
          'four eyes is off (STRONGROOM_FOUR_EYES): there is nothing to approve',
        );
      if (!isUuid(req.id)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'id is not an approval request id');
      const decided = await deps.fourEyes.decide(req.id, req.approve, req.reason, caller);
      log.info('approval:decided', { approvalId: decided.id, status: decided.status });
      return { approval: approvalToProto(decided) };
    }),
  };
}

function rotationToProto(r: KeyRotation): KeyRotationProto {
  return {
    id: r.id,
    toKeyId: r.toKeyId,
    status: r.status,
    valuesReencrypted: Number(r.valuesReencrypted),
    requestedBy: r.requestedBy,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? undefined,
    error: r.error ?? '',
  };
}

function holdToProto(h: LegalHoldEntity): LegalHold {
  return {
    id: h.id,
    scope: h.scope,
    value: h.value,
    reason: h.reason,
    placedBy: h.placedBy,
    placedAt: h.placedAt,
    releasedBy: h.releasedBy ?? '',
    releasedAt: h.releasedAt ?? undefined,
    releaseReason: h.releaseReason ?? '',
  };
}
