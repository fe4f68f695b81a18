// Resolvers for operators, auditors and compliance: run control, dead letters, breakers, alerts, the
// audit chain, legal holds and reports. Thin: GraphQL arguments → one engine call → the proto answer,
// with proto defaults ('' / 0 / UNSPECIFIED) turned into null and enums into their GraphQL names.
import {
  type Alert,
  AlertOrder,
  AlertStatus,
  type AuditEntry,
  type DeadLetter,
  DeadLetterStatus,
  type LegalHold,
  PartitionState,
  type Run,
} from '@strongroom/contract';
import { type Role } from '../auth/authenticate';
import { type GatewayContext } from '../context';
import { badUserInput } from '../errors/gateway-error';
import { type Connection, pageRequest, toConnection } from './connection';

const PARTITION_STATE: Partial<Record<PartitionState, 'OPEN' | 'HELD' | 'DONE'>> = {
  [PartitionState.PARTITION_STATE_OPEN]: 'OPEN',
  [PartitionState.PARTITION_STATE_HELD]: 'HELD',
  [PartitionState.PARTITION_STATE_DONE]: 'DONE',
};

const DLQ_STATUS = {
  PENDING: DeadLetterStatus.DEAD_LETTER_STATUS_PENDING,
  REPLAYED: DeadLetterStatus.DEAD_LETTER_STATUS_REPLAYED,
  DISCARDED: DeadLetterStatus.DEAD_LETTER_STATUS_DISCARDED,
};
const ALERT_STATUS = {
  OPEN: AlertStatus.ALERT_STATUS_OPEN,
  ESCALATED: AlertStatus.ALERT_STATUS_ESCALATED,
  CLOSED: AlertStatus.ALERT_STATUS_CLOSED,
};
const orNull = (v: string): string | null => (v === '' ? null : v);
const idArg = (v: string, name: string) => {
  if (v.trim() === '' || v.length > 128)
    throw badUserInput(`"${name}" must be a non-empty id of at most 128 characters`);
  return v;
};
const reasonArg = (v: string) => {
  if (v.trim() === '') throw badUserInput('"reason" must not be empty');
  return v;
};

/** Only auditors and admins see alert evidence and accounts unmasked; everyone else sees the last 4 characters. */
const SEES_UNMASKED: readonly Role[] = ['auditor', 'admin'];
const MASKED_EVIDENCE_KEYS = ['screenedName', 'account', 'creditTransaction', 'customerId'];
const mask = (v: string) => (v.length <= 4 ? '****' : `****${v.slice(-4)}`);
const unmasked = (ctx: GatewayContext) => ctx.actor.roles.some((r) => SEES_UNMASKED.includes(r));

type Args = Record<string, unknown>;

/** The run and status filters deadLetters and deadLetterReasons share. */
function deadLetterFilter(a: Args): { runId: string; jobId: string; status: DeadLetterStatus } {
  return {
    runId: (a['runId'] as string) ?? '',
    jobId: '',
    status: a['status']
      ? DLQ_STATUS[a['status'] as keyof typeof DLQ_STATUS]
      : DeadLetterStatus.DEAD_LETTER_STATUS_UNSPECIFIED,
  };
}

export const operationsQueries = {
  breakers: async (_: unknown, __: Args, ctx: GatewayContext) => (await ctx.services.listBreakers({})).breakers,
  runPartitions: async (_: unknown, a: Args, ctx: GatewayContext) => {
    const runId = String(a['runId'] ?? '');
    if (runId.trim() === '' || runId.length > 128)
      throw badUserInput('"runId" must be a non-empty id of at most 128 characters');
    return (await ctx.services.listRunPartitions({ runId })).partitions.map((p) => ({
      ...p,
      state: PARTITION_STATE[p.state] ?? 'OPEN',
      owner: p.owner || null,
      leaseExpiresAt: p.leaseExpiresAt ?? null,
    }));
  },
  replicas: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (await ctx.services.listReplicas({ includeStopped: a['includeStopped'] === true })).replicas.map((r) => ({
      ...r,
      address: r.address || null,
      stoppedAt: r.stoppedAt ?? null,
    })),
  deadLetters: async (_: unknown, a: Args, ctx: GatewayContext): Promise<Connection<DeadLetter>> => {
    const page = pageRequest('deadLetters', a['first'] as number, a['after'] as string);
    const r = await ctx.services.listDeadLetters({
      ...deadLetterFilter(a),
      reasonCode: (a['reasonCode'] as string) ?? '',
      pageSize: page.pageSize,
      pageToken: page.pageToken,
    });
    return toConnection(page, r.deadLetters, r.nextPageToken);
  },
  deadLetterReasons: async (_: unknown, a: Args, ctx: GatewayContext) => {
    const r = await ctx.services.countDeadLetters({
      ...deadLetterFilter(a),
    });
    return { total: r.total, reasons: r.reasons };
  },
  alerts: async (_: unknown, a: Args, ctx: GatewayContext): Promise<Connection<Alert>> => {
    const queue = a['orderBy'] === 'PRIORITY';
    // a cursor names its order: one of the newest-first listing does not continue the queue, nor the reverse
    const page = pageRequest(queue ? 'alertQueue' : 'alerts', a['first'] as number, a['after'] as string);
    const r = await ctx.services.listAlerts({
      rule: (a['rule'] as string) ?? '',
      status: a['status']
        ? ALERT_STATUS[a['status'] as keyof typeof ALERT_STATUS]
        : AlertStatus.ALERT_STATUS_UNSPECIFIED,
      runId: (a['runId'] as string) ?? '',
      account: '',
      pageSize: page.pageSize,
      pageToken: page.pageToken,
      order: queue ? AlertOrder.ALERT_ORDER_PRIORITY : AlertOrder.ALERT_ORDER_NEWEST,
    });
    return toConnection(page, r.alerts, r.nextPageToken);
  },
  auditEntries: async (_: unknown, a: Args, ctx: GatewayContext): Promise<Connection<AuditEntry>> => {
    const page = pageRequest('auditEntries', a['first'] as number, a['after'] as string);
    const r = await ctx.services.listAuditEntries({
      action: (a['action'] as string) ?? '',
      pageSize: page.pageSize,
      pageToken: page.pageToken,
      newestFirst: a['newestFirst'] === true,
    });
    return toConnection(page, r.entries, r.nextPageToken);
  },
  auditVerification: async (_: unknown, __: Args, ctx: GatewayContext) => {
    const r = await ctx.services.verifyAudit({ incremental: false, checkpointJson: '' });
    return {
      ok: r.ok,
      entries: r.entries,
      firstBadSeq: r.ok ? null : r.firstBadSeq,
      kind: orNull(r.kind),
      message: r.message,
    };
  },
  auditChain: async (_: unknown, __: Args, ctx: GatewayContext) => {
    const r = await ctx.services.getChainStatus({});
    const v = r.lastVerification;
    return {
      entries: r.entries,
      headHash: orNull(r.headHash),
      headAt: r.headAt ?? null,
      lastCheckpoint: r.lastCheckpoint ?? null,
      lastVerification: v
        ? {
            verifiedAt: v.verifiedAt ?? null,
            actor: v.actor,
            ok: v.ok,
            entries: v.entries,
            trustedThroughSeq: v.trustedThroughSeq,
            firstBadSeq: v.ok ? null : v.firstBadSeq,
            kind: orNull(v.kind),
          }
        : null,
    };
  },
  legalHolds: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (await ctx.services.listLegalHolds({ activeOnly: a['activeOnly'] !== false })).holds,
  complianceReport: async (_: unknown, a: Args, ctx: GatewayContext) => {
    const r = await ctx.services.getReport({
      framework: a['framework'] as string,
      from: a['from'] as string,
      to: a['to'] as string,
    });
    return { framework: String(a['framework']).toUpperCase(), json: r.reportJson, csv: r.reportCsv };
  },
  keyRotation: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (await ctx.services.getKeyRotation({ id: (a['id'] as string) ?? '' })).rotation,
  approvals: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (await ctx.services.listApprovals({ status: (a['status'] as string) ?? '' })).approvals,
};

export const operationsMutations = {
  pauseRun: async (_: unknown, a: Args, ctx: GatewayContext): Promise<Run | undefined> =>
    (
      await ctx.services.pauseRun({
        runId: idArg(a['id'] as string, 'id'),
        reason: (a['reason'] as string | null) ?? '',
      })
    ).run,
  resumeRun: async (_: unknown, a: Args, ctx: GatewayContext): Promise<Run | undefined> =>
    (
      await ctx.services.resumeRun({
        runId: idArg(a['id'] as string, 'id'),
        reason: (a['reason'] as string | null) ?? '',
      })
    ).run,
  cancelRun: async (_: unknown, a: Args, ctx: GatewayContext): Promise<Run | undefined> =>
    (
      await ctx.services.cancelRun({
        runId: idArg(a['id'] as string, 'id'),
        reason: (a['reason'] as string | null) ?? '',
      })
    ).run,
  replayDeadLetters: async (_: unknown, a: Args, ctx: GatewayContext) => {
    const ids = (a['ids'] as string[] | null) ?? [];
    if (!ids.length && !a['runId']) throw badUserInput('give "ids" or "runId"');
    const corrections = ((a['corrections'] as { id: string; rawRecord: string }[] | null) ?? []).map((c) => ({
      id: c.id,
      rawRecord: c.rawRecord,
    }));
    const reason = typeof a['reason'] === 'string' && a['reason'].trim() ? reasonArg(a['reason']) : '';
    return ctx.services.replayDeadLetters({ ids, runId: (a['runId'] as string) ?? '', corrections, reason });
  },
  discardDeadLetters: async (_: unknown, a: Args, ctx: GatewayContext) =>
    ctx.services.discardDeadLetters({ ids: a['ids'] as string[], reason: reasonArg(a['reason'] as string) }),
  escalateAlert: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (
      await ctx.services.transitionAlert({
        id: idArg(a['id'] as string, 'id'),
        to: AlertStatus.ALERT_STATUS_ESCALATED,
        reason: reasonArg(a['reason'] as string),
      })
    ).alert,
  closeAlert: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (
      await ctx.services.transitionAlert({
        id: idArg(a['id'] as string, 'id'),
        to: AlertStatus.ALERT_STATUS_CLOSED,
        reason: reasonArg(a['reason'] as string),
      })
    ).alert,
  placeLegalHold: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (
      await ctx.services.placeLegalHold({
        scope: a['scope'] as string,
        value: a['value'] as string,
        reason: reasonArg(a['reason'] as string),
      })
    ).hold,
  releaseLegalHold: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (
      await ctx.services.releaseLegalHold({
        id: idArg(a['id'] as string, 'id'),
        reason: reasonArg(a['reason'] as string),
      })
    ).hold,
  purgeExpired: async (_: unknown, a: Args, ctx: GatewayContext) =>
    ctx.services.purgeExpired({ dryRun: a['dryRun'] !== false, reason: (a['reason'] as string) ?? '' }),
  revealValue: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (
      await ctx.services.revealValue({
        kind: String(a['kind'] ?? ''),
        id: idArg(a['id'] as string, 'id'),
        field: (a['field'] as string) ?? '',
        reason: reasonArg(a['reason'] as string),
      })
    ).value,
  decideApproval: async (_: unknown, a: Args, ctx: GatewayContext) =>
    (
      await ctx.services.decideApproval({
        id: idArg(a['id'] as string, 'id'),
        approve: a['approve'] === true,
        reason: reasonArg(a['reason'] as string),
      })
    ).approval,
  rotateFieldKeys: async (_: unknown, __: Args, ctx: GatewayContext) =>
    (await ctx.services.rotateFieldKeys({})).rotation,
};

const statusName = <T extends number>(table: Record<string, T>, v: T) =>
  Object.keys(table).find((k) => table[k] === v) ?? null;

export const operationsTypes = {
  DeadLetter: {
    status: (d: DeadLetter) => statusName(DLQ_STATUS, d.status),
    field: (d: DeadLetter) => orNull(d.field),
    resolution: (d: DeadLetter) => orNull(d.resolution),
    resolvedBy: (d: DeadLetter) => orNull(d.resolvedBy),
  },
  Alert: {
    status: (a: Alert) => statusName(ALERT_STATUS, a.status),
    account: (a: Alert, _: Args, ctx: GatewayContext) => (unmasked(ctx) ? a.account : mask(a.account)),
    evidenceJson: (a: Alert, _: Args, ctx: GatewayContext) => {
      if (unmasked(ctx)) return a.evidenceJson;
      const e = JSON.parse(a.evidenceJson || '{}') as Record<string, unknown>;
      for (const k of MASKED_EVIDENCE_KEYS) if (typeof e[k] === 'string') e[k] = mask(e[k] as string);
      return JSON.stringify(e);
    },
    statusReason: (a: Alert) => orNull(a.statusReason),
    statusChangedBy: (a: Alert) => orNull(a.statusChangedBy),
  },
  KeyRotation: {
    error: (r: { error: string }) => orNull(r.error),
  },
  LegalHold: {
    releasedBy: (h: LegalHold) => orNull(h.releasedBy),
    releaseReason: (h: LegalHold) => orNull(h.releaseReason),
  },
};
