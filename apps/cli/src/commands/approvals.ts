import {
  createComplianceServiceClient,
  type Approval,
  type DecideApprovalResponse,
  type ListApprovalsResponse,
  type RevealValueResponse,
} from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

const view = (a: Approval) => ({
  id: a.id,
  action: a.action,
  params: JSON.parse(a.paramsJson || '{}') as unknown,
  reason: a.reason,
  requestedBy: a.requestedBy,
  requestedAt: a.requestedAt?.toISOString() ?? null,
  status: a.status,
  ...(a.decidedBy
    ? {
        decidedBy: a.decidedBy,
        decidedAt: a.decidedAt?.toISOString() ?? null,
        decisionReason: a.decisionReason,
        result: a.resultJson ? (JSON.parse(a.resultJson) as unknown) : null,
      }
    : {}),
});

/**
 * Four eyes: `strongroom approvals [--status PENDING|APPROVED|REJECTED] [--json]` lists requests;
 * `strongroom approve <id> --reason TEXT` carries one out (as its requester; you must be another person
 * with the action's roles); `strongroom reject <id> --reason TEXT` refuses it.
 */
export async function approvalsCommand(
  config: CliConfig,
  command: 'approvals' | 'approve' | 'reject',
  id: string | undefined,
  opts: { json: boolean; status?: string; reason?: string },
): Promise<number> {
  const client = createComplianceServiceClient(engineTarget(config));
  // approving a purge runs the purge: allow it minutes
  const call = unaryCaller(client, Math.max(config.deadlineMs, 600_000));
  try {
    if (command === 'approvals') {
      const r = await call<ListApprovalsResponse>('listApprovals', { status: opts.status ?? '' });
      const rows = r.approvals.map(view);
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ approvals: rows })}\n`
          : `${rows.map((a) => `${a.id}  ${a.status.padEnd(8)} ${a.action.padEnd(18)} by ${a.requestedBy}: ${a.reason}`).join('\n') || 'no approval requests'}\n`,
      );
      return 0;
    }
    if (!id || !opts.reason) throw new UsageError(`strongroom ${command} <id> --reason "why" [--json]`);
    const r = await call<DecideApprovalResponse>('decideApproval', {
      id,
      approve: command === 'approve',
      reason: opts.reason,
    });
    const a = r.approval ? view(r.approval) : undefined;
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(a)}\n`
        : `${a?.action} ${a?.status.toLowerCase()} (requested by ${a?.requestedBy})\n`,
    );
    return 0;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}

/**
 * `strongroom reveal transaction <id> --field account|counterparty_account|counterparty_name|reference
 * --reason TEXT` and `strongroom reveal dead-letter <id> --reason TEXT`: a RESTRICTED value in clear, through
 * the one governed path (auditors and admins; audited with the reason, not the value).
 */
export async function revealCommand(
  config: CliConfig,
  kind: string | undefined,
  id: string | undefined,
  opts: { json: boolean; field?: string; reason?: string },
): Promise<number> {
  const k = kind === 'transaction' ? 'TRANSACTION' : kind === 'dead-letter' ? 'DEAD_LETTER' : undefined;
  if (!k || !id || !opts.reason || (k === 'TRANSACTION' && !opts.field))
    throw new UsageError(
      'strongroom reveal transaction <id> --field account|counterparty_account|counterparty_name|reference --reason "why" | reveal dead-letter <id> --reason "why"',
    );
  const client = createComplianceServiceClient(engineTarget(config));
  try {
    const r = await unaryCaller(client, config.deadlineMs)<RevealValueResponse>('revealValue', {
      kind: k,
      id,
      field: opts.field ?? '',
      reason: opts.reason,
    });
    process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${r.value}\n`);
    return 0;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
