import { PERSON_ROLES, type Role } from './roles';

/**
 * The one role matrix: which roles may call each engine RPC. The engine checks it on every call, and the
 * gateway derives the policy of each GraphQL root field from the RPC that field calls, so the two cannot
 * disagree. Deny by default: an RPC without an entry is refused (a test keeps every RPC listed).
 *
 * Viewers read jobs, runs and breakers; operators also define and run jobs, control runs, stream
 * transactions in and work the dead-letter queue; auditors read dead letters, alerts, the audit chain,
 * holds and reports, verify, and move alerts and holds; admins may do everything (purge, key rotation).
 * "Any role" means any person's role: the gateway's service role may only report what it refused.
 */
export const ANY_ROLE: readonly Role[] = PERSON_ROLES;
export const OPERATORS: readonly Role[] = ['operator', 'admin'];
export const AUDITORS: readonly Role[] = ['auditor', 'admin'];
export const STAFF: readonly Role[] = ['operator', 'auditor', 'admin'];
export const ADMINS: readonly Role[] = ['admin'];
/** The gateway's own identity (a service token or its client certificate), never a person's. */
export const GATEWAY_SERVICE: readonly Role[] = ['gateway'];

export const RPC_ROLES: Readonly<Record<string, readonly Role[]>> = Object.freeze({
  // JobService
  CreateJob: OPERATORS,
  GetJob: ANY_ROLE,
  ListJobs: ANY_ROLE,
  RunJob: OPERATORS,
  GetRun: ANY_ROLE,
  ListRuns: ANY_ROLE,
  CancelRun: OPERATORS,
  PauseRun: OPERATORS,
  ResumeRun: OPERATORS,
  WatchRun: ANY_ROLE,
  // the published sink with RESTRICTED values in clear: for the systems that consume it
  ListPublishedTransactions: ['consumer', 'admin'],
  ListRunPartitions: ANY_ROLE,
  GetRunThroughput: ANY_ROLE,
  // IngestService
  Ingest: OPERATORS,
  // DeadLetterService (a replay with corrections changes what loads: operators, audited with the caller)
  ListDeadLetters: STAFF,
  CountDeadLetters: STAFF,
  ReplayDeadLetters: OPERATORS,
  DiscardDeadLetters: OPERATORS,
  // AuditService
  ListEntries: AUDITORS,
  Verify: AUDITORS,
  CreateCheckpoint: AUDITORS,
  ExportCheckpoints: AUDITORS,
  VerifyRun: AUDITORS,
  GetChainStatus: AUDITORS,
  // ComplianceService
  ListAlerts: STAFF,
  TransitionAlert: AUDITORS,
  ScreenNames: STAFF,
  // which sanctions lists every later run is screened against: a compliance decision
  LoadSanctionsLists: AUDITORS,
  // the KYC register every later run's accounts are checked against
  LoadKycRecords: AUDITORS,
  PlaceLegalHold: AUDITORS,
  ReleaseLegalHold: AUDITORS,
  ListLegalHolds: AUDITORS,
  GetReport: AUDITORS,
  PurgeExpired: ADMINS,
  RotateFieldKeys: ADMINS,
  GetKeyRotation: ADMINS,
  // four eyes: anyone who may request a governed action may see the requests; deciding one needs the
  // action's own roles too (checked with the request), and another person than the requester
  ListApprovals: STAFF,
  DecideApproval: STAFF,
  RevealValue: AUDITORS,
  // OpsService
  ListBreakers: ANY_ROLE,
  ReportDenials: GATEWAY_SERVICE,
  // where engine replicas run (hosts, pids, addresses) is for staff, not for every reader of runs
  ListReplicas: STAFF,
});

/**
 * Rules inside an RPC: what part of a request needs beyond the RPC's own roles (both must hold). Changing
 * a job's compliance settings — how long its data is kept, how it is classified, which controls apply — is
 * a compliance decision: auditors and admins
 * (a person who is operator and auditor may). A replay with corrections changes what loads: its own cell,
 * so that it can be tightened without touching plain replays. Viewers see source paths relative to their
 * source root, not the host's layout.
 */
export const ACTION_ROLES = Object.freeze({
  /** CreateJob changing an existing job's compliance settings (any key of its compliance block). */
  'CreateJob.changeRetentionOrClassification': AUDITORS,
  /** ReplayDeadLetters with corrected field values. */
  'ReplayDeadLetters.corrections': OPERATORS,
  /**
   * Writing the KYC register through a job (`kind: kyc`): defining or changing such a job, running it, and
   * replaying its dead letters — the same people who may LoadKycRecords.
   */
  WriteKycRegister: AUDITORS,
  /** Seeing jobs' and runs' source paths as the engine's host has them (others see them relative to their root). */
  ReadHostSourcePaths: STAFF,
} satisfies Record<string, readonly Role[]>);

export type Action = keyof typeof ACTION_ROLES;

/** Whether a caller with `roles` may do `action` (within an RPC it may call). */
export function mayDo(roles: readonly Role[], action: Action): boolean {
  return roles.some((r) => ACTION_ROLES[action].includes(r));
}

/** Whether a caller with `roles` may call `rpc` (false for an RPC the matrix does not name). */
export function mayCall(roles: readonly Role[], rpc: string): boolean {
  const allowed = RPC_ROLES[rpc];
  return allowed !== undefined && roles.some((r) => allowed.includes(r));
}

/** "one of the roles operator, admin" / "any role", for refusals. */
export function describeRoles(allowed: readonly Role[]): string {
  return PERSON_ROLES.every((r) => allowed.includes(r)) ? 'any role' : `one of the roles ${allowed.join(', ')}`;
}
