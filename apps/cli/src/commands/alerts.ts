import {
  AlertOrder,
  AlertStatus,
  createComplianceServiceClient,
  type Alert,
  type ListAlertsResponse,
  type TransitionAlertResponse,
} from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

const STATUS: Record<string, AlertStatus> = {
  OPEN: AlertStatus.ALERT_STATUS_OPEN,
  ESCALATED: AlertStatus.ALERT_STATUS_ESCALATED,
  CLOSED: AlertStatus.ALERT_STATUS_CLOSED,
};
/** How many alerts `list` prints at most. */
const LIST_LIMIT = 10_000;
const STATUS_NAME = Object.fromEntries(Object.entries(STATUS).map(([k, v]) => [v, k]));

export interface AlertsOptions {
  json: boolean;
  /** The work queue's order: highest score first, then newest first (else newest first). */
  priority?: boolean;
  run?: string;
  status?: string;
  rule?: string;
  reason?: string;
}

const view = (a: Alert) => ({
  id: a.id,
  rule: a.rule,
  score: a.score,
  status: STATUS_NAME[a.status],
  sourceSystem: a.sourceSystem,
  txnId: a.txnId,
  account: a.account,
  bookedAt: a.bookedAt?.toISOString(),
  runId: a.runId,
  evidence: JSON.parse(a.evidenceJson || '{}') as unknown,
  statusReason: a.statusReason,
  statusChangedBy: a.statusChangedBy,
});

/**
 * `strongroom alerts list [--run ID] [--rule RULE] [--status OPEN|ESCALATED|CLOSED] [--priority]` (at most
 * 10,000, saying so when more match),
 * `strongroom alerts escalate|close <id> --reason TEXT`.
 */
export async function alertsCommand(
  config: CliConfig,
  sub: string | undefined,
  ids: string[],
  opts: AlertsOptions,
): Promise<number> {
  const client = createComplianceServiceClient(engineTarget(config));
  const call = unaryCaller(client, config.deadlineMs);
  const out = (human: string, json: unknown) => process.stdout.write(`${opts.json ? JSON.stringify(json) : human}\n`);
  try {
    if (sub === 'list') {
      if (opts.status && !STATUS[opts.status])
        throw new UsageError(`--status must be one of ${Object.keys(STATUS).join(', ')}`);
      const alerts: Alert[] = [];
      let pageToken = '';
      do {
        const r = await call<ListAlertsResponse>('listAlerts', {
          rule: opts.rule ?? '',
          status: opts.status ? STATUS[opts.status] : 0,
          runId: opts.run ?? '',
          account: '',
          pageSize: 500,
          pageToken,
          order: opts.priority ? AlertOrder.ALERT_ORDER_PRIORITY : AlertOrder.ALERT_ORDER_NEWEST,
        });
        alerts.push(...r.alerts);
        pageToken = r.nextPageToken;
      } while (pageToken && alerts.length < LIST_LIMIT);
      if (pageToken)
        process.stderr.write(
          `the first ${LIST_LIMIT.toLocaleString('en-US')} alerts (${opts.priority ? 'highest priority' : 'newest'} first) are listed; more match: narrow with --run, --rule or --status\n`,
        );
      const rows = alerts.map(view);
      out(
        rows
          .map(
            (a) =>
              `${a.id}  ${String(a.status).padEnd(9)} ${a.rule.padEnd(22)} score ${String(a.score).padStart(3)}  ${a.sourceSystem}:${a.txnId}  ${JSON.stringify(a.evidence)}`,
          )
          .join('\n') || '(no alerts)',
        { alerts: rows, more: Boolean(pageToken) }, // more: alerts beyond the first 10,000 match
      );
      return 0;
    }
    if (sub === 'escalate' || sub === 'close') {
      if (ids.length !== 1 || !opts.reason) throw new UsageError(`strongroom alerts ${sub} <id> --reason "why"`);
      const r = await call<TransitionAlertResponse>('transitionAlert', {
        id: ids[0],
        to: sub === 'escalate' ? STATUS['ESCALATED'] : STATUS['CLOSED'],
        reason: opts.reason,
      });
      const a = r.alert ? view(r.alert) : undefined;
      out(`alert ${a?.id} is ${a?.status} (${a?.statusReason}; by ${a?.statusChangedBy})`, { alert: a });
      return 0;
    }
    throw new UsageError('strongroom alerts list|escalate|close …');
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
