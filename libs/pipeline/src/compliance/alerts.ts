import { operatorText } from '../operator-text';
import { appendAudit } from '@strongroom/audit';
import { ComplianceAlertEntity, type AlertRule, type AlertStatus, type DataSource, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { isUuid } from '../jobs/job-store';
import { keysetPage } from '../paging';

export const ALERT_RULES: readonly AlertRule[] = [
  'SANCTIONS',
  'LARGE_TRANSACTION',
  'STRUCTURING',
  'VELOCITY',
  'ROUND_AMOUNT',
  'HIGH_RISK_JURISDICTION',
  'RAPID_MOVEMENT',
  'KYC',
];

export interface AlertFilter {
  rule?: string;
  status?: AlertStatus;
  runId?: string;
  account?: string;
}

/** How alerts are listed: newest first, or as a work queue (highest score first, then newest first). */
export type AlertOrder = 'newest' | 'priority';

/** Alerts with keyset pagination and filters, newest first or by priority; a token continues only its order. */
export async function listAlerts(
  ds: DataSource,
  filter: AlertFilter,
  size: number | undefined,
  token: string | undefined,
  order: AlertOrder = 'newest',
): Promise<{ alerts: ComplianceAlertEntity[]; next: string }> {
  const qb = ds.getRepository(ComplianceAlertEntity).createQueryBuilder('a');
  if (filter.rule) {
    if (!ALERT_RULES.includes(filter.rule as AlertRule))
      throw new StrongroomError(
        ErrorCode.INVALID_ARGUMENT,
        `rule must be one of ${ALERT_RULES.join(', ')} (got "${filter.rule.slice(0, 40)}")`,
      );
    qb.andWhere('a.rule = :rule', { rule: filter.rule });
  }
  if (filter.status) qb.andWhere('a.status = :status', { status: filter.status });
  if (filter.runId) {
    if (!isUuid(filter.runId)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'run_id is not a run id');
    qb.andWhere('a.run_id = :runId', { runId: filter.runId });
  }
  if (filter.account) qb.andWhere('a.account = :account', { account: filter.account });
  const { page, next } = await keysetPage(qb, 'a', size, token, order === 'priority');
  return { alerts: page, next };
}

const ALLOWED: Record<AlertStatus, AlertStatus[]> = {
  OPEN: ['ESCALATED', 'CLOSED'],
  ESCALATED: ['CLOSED'],
  CLOSED: [],
};

/**
 * Moves an alert along its lifecycle — OPEN → ESCALATED → CLOSED, or OPEN → CLOSED — with a reason,
 * recording who did it; the change and its audit entry commit together. A closed alert stays closed.
 */
export async function transitionAlert(
  ds: DataSource,
  id: string,
  to: AlertStatus,
  reason: string,
  actor: string,
): Promise<ComplianceAlertEntity> {
  if (!isUuid(id)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'id is not an alert id');
  if (to !== 'ESCALATED' && to !== 'CLOSED')
    throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'to must be ESCALATED or CLOSED');
  const why = operatorText(reason, 'a reason');
  return ds.transaction(async (em) => {
    const [current] = (await em.query('SELECT status, rule, run_id FROM compliance_alerts WHERE id = $1 FOR UPDATE', [
      id,
    ])) as { status: AlertStatus; rule: string; run_id: string }[];
    if (!current) throw new StrongroomError(ErrorCode.NOT_FOUND, `alert ${id} not found`);
    if (!ALLOWED[current.status].includes(to)) {
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `alert ${id} is ${current.status}; it cannot become ${to}${current.status === 'CLOSED' ? ' (a closed alert stays closed)' : ''}`,
      );
    }
    await em.query(
      `UPDATE compliance_alerts SET status = $2, status_reason = $3, status_changed_by = $4, updated_at = now() WHERE id = $1`,
      [id, to, why, actor],
    );
    await appendAudit(sqlExec(em), {
      actor,
      action: to === 'ESCALATED' ? 'alert:escalated' : 'alert:closed',
      subject: { alertId: id, rule: current.rule, runId: current.run_id },
      details: { from: current.status, to, reason: why },
    });
    return (await em.getRepository(ComplianceAlertEntity).findOneByOrFail({ id })) as ComplianceAlertEntity;
  });
}
