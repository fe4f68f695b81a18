import { appendAudit } from '@strongroom/audit';
import { ACTION_ROLES, describeRoles, mayCall, mayDo, RPC_ROLES } from '@strongroom/auth';
import { type DataSource, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger, redactPansDeep } from '@strongroom/logging';
import { operatorText } from '@strongroom/pipeline';
import { type Caller } from '../grpc/call-scope';

/** The RPC whose roles an approver needs (plus an action rule for some). */
interface Governance {
  rpc: string;
  rule?: keyof typeof ACTION_ROLES;
}

/** The governed actions, and what deciding each needs. */
export const GOVERNED = {
  ReleaseLegalHold: { rpc: 'ReleaseLegalHold' },
  PurgeExpired: { rpc: 'PurgeExpired' },
  DiscardDeadLetters: { rpc: 'DiscardDeadLetters' },
  CloseAlert: { rpc: 'TransitionAlert' },
  ChangeJobRetention: { rpc: 'CreateJob', rule: 'CreateJob.changeRetentionOrClassification' },
} as const satisfies Record<string, Governance>;
export type GovernedAction = keyof typeof GOVERNED;

export interface ApprovalRow {
  id: string;
  action: GovernedAction;
  params: Record<string, unknown>;
  reason: string;
  requested_by: string;
  requested_at: Date;
  /** APPROVING: approved, and its action under way — or in doubt, if the engine died before recording it. */
  status: 'PENDING' | 'APPROVING' | 'APPROVED' | 'REJECTED';
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  result: Record<string, unknown> | null;
}

/** Errors by which an action refuses before it changes anything: its request may be decided again. */
const REFUSED_BEFORE_ACTING: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.INVALID_JOB_DEFINITION,
  ErrorCode.FAILED_PRECONDITION,
  ErrorCode.NOT_FOUND,
  ErrorCode.PERMISSION_DENIED,
  ErrorCode.SOURCE_OUTSIDE_ROOTS,
]);

/** Carries out an approved action as the person who requested it; returns what it did (for the record). */
export type Executor = (params: Record<string, unknown>, reason: string, requestedBy: string) => Promise<unknown>;

/**
 * Four eyes: with `enabled`, a governed action is not carried out when asked — it becomes a request (the
 * call answers APPROVAL_REQUIRED naming it), carried out when another principal holding the action's roles
 * approves it. Requests, approvals and rejections are audited; the table refuses a decision by the
 * requester whatever the engine does.
 */
export class FourEyes {
  constructor(
    private readonly ds: DataSource,
    readonly enabled: boolean,
    private readonly executors: Record<GovernedAction, Executor>,
    private readonly logger: Logger,
    /** Test-only crash points (approval:after-action). */
    private readonly crash?: (point: string) => void,
  ) {}

  /** Throws APPROVAL_REQUIRED after recording the request, when four eyes is on; otherwise returns. */
  async gate(action: GovernedAction, params: Record<string, unknown>, reason: string, caller: Caller): Promise<void> {
    if (!this.enabled) return;
    const why = operatorText(reason, 'a reason');
    const safe = redactPansDeep(params) as Record<string, unknown>;
    const id = await this.ds.transaction(async (em) => {
      const [row] = (await em.query(
        `INSERT INTO approval_requests (action, params, reason, requested_by) VALUES ($1, $2, $3, $4) RETURNING id`,
        [action, JSON.stringify(safe), why, caller.actor],
      )) as { id: string }[];
      await appendAudit(sqlExec(em), {
        actor: caller.actor,
        action: 'approval:requested',
        subject: { approvalId: row?.id, action },
        details: { params: safe, reason: why },
      });
      return row?.id as string;
    });
    this.logger.info('approval:requested', { approvalId: id, action, actor: caller.actor });
    throw new StrongroomError(
      ErrorCode.APPROVAL_REQUIRED,
      `${action} needs a second person: approval request ${id} was created; another person with ${this.rolesOf(action)} approves it (strongroom approve ${id} --reason …)`,
      { details: { approvalId: id } },
    );
  }

  async list(status: string): Promise<ApprovalRow[]> {
    if (status && !['PENDING', 'APPROVING', 'APPROVED', 'REJECTED'].includes(status))
      throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'status must be PENDING, APPROVING, APPROVED or REJECTED');
    return (await this.ds.query(
      `SELECT * FROM approval_requests WHERE ($1 = '' OR status = $1) ORDER BY requested_at DESC LIMIT 500`,
      [status],
    )) as ApprovalRow[];
  }

  /** Approves (carries the action out) or rejects a pending request: another person, with the action's roles. */
  async decide(id: string, approve: boolean, reason: string, caller: Caller): Promise<ApprovalRow> {
    const why = operatorText(reason, 'a reason');
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      // one decision at a time per request: the action runs once
      await runner.query(`SELECT pg_advisory_lock(hashtextextended('approval:' || $1, 0))`, [id]);
      const [row] = (await runner.query(`SELECT * FROM approval_requests WHERE id = $1`, [id]).catch(() => [])) as
        ApprovalRow[] | [];
      if (!row) throw new StrongroomError(ErrorCode.NOT_FOUND, `approval request ${id} not found`);
      if (row.status !== 'PENDING')
        throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `approval request ${id} is already ${row.status}`);
      if (row.requested_by === caller.actor)
        throw new StrongroomError(
          ErrorCode.PERMISSION_DENIED,
          `approval request ${id} was made by ${caller.actor}: another person must decide it`,
        );
      const governed: Governance = GOVERNED[row.action];
      if (!mayCall(caller.roles, governed.rpc) || (governed.rule && !mayDo(caller.roles, governed.rule)))
        throw new StrongroomError(
          ErrorCode.PERMISSION_DENIED,
          `deciding ${row.action} needs ${this.rolesOf(row.action)}`,
        );
      const record = (status: 'APPROVED' | 'REJECTED', from: string, result: unknown) =>
        this.ds.transaction(async (em) => {
          const [updated] = (await sqlExec(em)(
            `UPDATE approval_requests SET status = $2, decided_by = $3, decided_at = now(), decision_reason = $4,
                    result = $5
              WHERE id = $1 AND status = $6 RETURNING *`,
            [id, status, caller.actor, why, result === null ? null : JSON.stringify(result), from],
          )) as unknown as ApprovalRow[];
          if (!updated)
            throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `approval request ${id} changed meanwhile`);
          await appendAudit(sqlExec(em), {
            actor: caller.actor,
            action: status === 'APPROVED' ? 'approval:approved' : 'approval:rejected',
            subject: { approvalId: id, action: row.action },
            details: { requestedBy: row.requested_by, reason: why },
          });
          return updated;
        });
      let decided: ApprovalRow;
      if (!approve) decided = await record('REJECTED', 'PENDING', null);
      else {
        // marked APPROVING (committed) before the action runs: if the engine dies between the action and its
        // record, the request stays in doubt for a person to look at (the action's own audit entry says
        // whether it happened) — it never goes back to PENDING, where a second approval would run it twice
        const [claimed] = await sqlExec(this.ds)(
          `UPDATE approval_requests SET status = 'APPROVING', decided_by = $2, decided_at = now(), decision_reason = $3
            WHERE id = $1 AND status = 'PENDING' RETURNING id`,
          [id, caller.actor, why],
        );
        if (!claimed)
          throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `approval request ${id} is no longer PENDING`);
        let result: unknown;
        try {
          result = await this.executors[row.action](row.params, row.reason, row.requested_by);
        } catch (err) {
          // the action refused before doing anything (a hold already released, an id that is gone, a
          // definition no longer valid): the request waits again. Any other failure may have happened after
          // the action took effect (a connection lost at COMMIT, a purge that did part of its batches): the
          // request stays APPROVING — in doubt, for a person to look at — and is never carried out twice
          if (err instanceof StrongroomError && REFUSED_BEFORE_ACTING.has(err.code))
            await sqlExec(this.ds)(
              `UPDATE approval_requests SET status = 'PENDING', decided_by = NULL, decided_at = NULL, decision_reason = NULL
                WHERE id = $1 AND status = 'APPROVING'`,
              [id],
            ).catch(() => undefined);
          else this.logger.error('approval:in-doubt', { approvalId: id, action: row.action, error: String(err) });
          throw err;
        }
        this.crash?.('approval:after-action');
        decided = await record('APPROVED', 'APPROVING', result ?? null);
      }
      this.logger.info(approve ? 'approval:approved' : 'approval:rejected', { approvalId: id, action: row.action });
      return decided;
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtextextended('approval:' || $1, 0))`, [id]).catch(() => 0);
      await runner.release().catch(() => undefined);
    }
  }

  private rolesOf(action: GovernedAction): string {
    const governed: Governance = GOVERNED[action];
    const roles = (RPC_ROLES[governed.rpc] ?? []).filter(
      (r) => !governed.rule || ACTION_ROLES[governed.rule].includes(r),
    );
    return describeRoles(roles);
  }
}
