// The public GraphQL schema (SDL). Types mirror proto/strongroom/engine/v1; names are camelCase.
// Kept as a TypeScript string so that running from source and from a build load the same schema.
import { operationsTypeDefs } from './schema-operations';
import { runsTypeDefs } from './schema-runs';

/** The root of the schema: scalars, Query, Mutation, Subscription and paging. */
const rootTypeDefs = /* GraphQL */ `
  """
  An instant, ISO-8601 in UTC with milliseconds, e.g. 2026-01-31T06:00:00.000Z.
  """
  scalar DateTime

  """
  An integer in ±(2^53-1), serialized as a JSON number. Counts and byte sizes exceed GraphQL Int (32 bits).
  """
  scalar Long

  "Who is calling, as the gateway verified it, and what the role matrix lets them do."
  type Me {
    "The token's subject (the engine audits actions as user:<subject>)."
    subject: String!
    roles: [String!]!
    "Root fields this caller may use (Query.runs, Mutation.pauseRun, Subscription.runProgress, …)."
    may: [String!]!
  }

  type Query {
    "Who is calling and what they may do. Any role."
    me: Me!
    "Jobs, in the engine's order. first: 1..100, default 20."
    jobs(first: Int = 20, after: String): JobConnection!
    "One job. Unknown id: error NOT_FOUND (or BAD_USER_INPUT for a malformed id)."
    job(id: ID!): Job
    "Runs, in the engine's order, optionally filtered. first: 1..100, default 20."
    runs(jobId: ID, status: RunStatus, first: Int = 20, after: String): RunConnection!
    "One run. Unknown id: error NOT_FOUND (or BAD_USER_INPUT for a malformed id)."
    run(id: ID!): Run
    "The engine's circuit breakers (postgres, source:file, sanctions-screening, …) and their state."
    breakers: [Breaker!]!
    "A file run's partitions, which the engine replicas share under leases (docs/scaling.md). Unknown run: NOT_FOUND."
    runPartitions(runId: ID!): [RunPartition!]!
    "The engine replicas sharing the database, newest heartbeat first (live ones unless includeStopped). Roles operator, auditor, admin."
    replicas(includeStopped: Boolean = false): [Replica!]!
    "Dead letters, oldest first. Roles operator, auditor, admin. first: 1..100, default 20."
    deadLetters(
      runId: ID
      status: DeadLetterStatus
      reasonCode: String
      first: Int = 20
      after: String
    ): DeadLetterConnection!
    "How many dead letters there are per reason code (all of them), with the same filters as deadLetters. Roles operator, auditor, admin."
    deadLetterReasons(runId: ID, status: DeadLetterStatus): DeadLetterReasons!
    """
    AML / sanctions / KYC alerts: newest first, or with orderBy PRIORITY as a work queue (highest score first,
    then newest first, over every alert that matches). Evidence is masked unless you are an auditor or admin.
    """
    alerts(
      rule: String
      status: AlertStatus
      runId: ID
      orderBy: AlertOrder = NEWEST
      first: Int = 20
      after: String
    ): AlertConnection!
    """
    Audit chain entries in chain order (oldest first, or newest first with newestFirst; page on with after),
    optionally of one action. Roles auditor, admin.
    """
    auditEntries(action: String, first: Int = 20, after: String, newestFirst: Boolean = false): AuditEntryConnection!
    """
    Verifies the whole audit chain (and the signed checkpoints); the verification is recorded in the chain
    (audit:verified, audit:verification_failed) with the caller. Roles auditor, admin.
    """
    auditVerification: AuditVerification!
    "The audit chain at a glance: its head, its latest signed checkpoint and its latest verification. Roles auditor, admin."
    auditChain: AuditChainStatus!
    "Legal holds; active ones only unless activeOnly is false. Roles auditor, admin."
    legalHolds(activeOnly: Boolean = true): [LegalHold!]!
    "A compliance report (SOX, PCI_DSS, AML, KYC) over [from, to], as JSON and CSV. Roles auditor, admin."
    complianceReport(framework: String!, from: String!, to: String!): ComplianceReport!
    "A field-key rotation by id, or the latest. Role admin."
    keyRotation(id: ID): KeyRotation
    "Four eyes: requests for governed actions (PENDING, APPROVING, APPROVED or REJECTED; all when omitted), newest first. Roles operator, auditor, admin."
    approvals(status: String): [Approval!]!
  }

  type Mutation {
    """
    Defines a job from YAML or JSON text (docs/job-file.md), or a new version of the job with the same
    name when the definition changed. Needs role operator or admin.
    """
    createJob(
      definition: String!
      "Directory on the engine's host against which relative paths in the definition are resolved."
      baseDir: String
    ): CreateJobPayload
    """
    Starts a run of the job's current version. Submitting the same source file again returns the
    existing run (existing: true). Needs role operator or admin.
    """
    runJob(
      jobId: ID!
      "Run the job's current version on this file instead of its source path (inside the source roots; relative to the directory of that path); no new version."
      file: String
    ): RunJobPayload
    """
    Pauses a running run after its current batch. The reason (optional, at most 2000 characters) is audited
    and shown as the run's statusReason. Roles operator, admin.
    """
    pauseRun(id: ID!, reason: String): Run
    "Resumes a paused or interrupted run; the reason (optional) is audited. Roles operator, admin."
    resumeRun(id: ID!, reason: String): Run
    """
    Cancels a run; it publishes nothing. The reason (optional) is audited and kept in the run's errorMessage.
    Roles operator, admin.
    """
    cancelRun(id: ID!, reason: String): Run
    """
    Replays dead letters (the given ids, or every PENDING one of runId); idempotent. corrections replace an
    entry's raw record (one line in the source's format) for this replay; a reason is recorded in the audit
    entry. Roles operator, admin (corrections: the role matrix's ReplayDeadLetters.corrections cell).
    """
    replayDeadLetters(ids: [ID!], runId: ID, corrections: [DeadLetterCorrectionInput!], reason: String): ReplayPayload
    "Closes dead letters without loading them; a reason is required. Roles operator, admin."
    discardDeadLetters(ids: [ID!]!, reason: String!): DiscardPayload
    "OPEN → ESCALATED, with a reason (audited with you as the actor). Roles auditor, admin."
    escalateAlert(id: ID!, reason: String!): Alert
    "OPEN or ESCALATED → CLOSED, with a reason (audited). Roles auditor, admin."
    closeAlert(id: ID!, reason: String!): Alert
    "Keeps rows of an ACCOUNT, a JOB or a RUN past their retention. Roles auditor, admin."
    placeLegalHold(scope: HoldScope!, value: String!, reason: String!): LegalHold
    "Releases a legal hold, with a reason. Roles auditor, admin."
    releaseLegalHold(id: ID!, reason: String!): LegalHold
    "Removes rows past their retention except held ones (dryRun: count only); audited. Role admin."
    purgeExpired(dryRun: Boolean = true, reason: String): PurgeResult
    """
    Four eyes: approves (carries out, as the requester) or rejects a pending request. You must not be the
    requester, and you need the action's own roles. A reason is required; both are audited.
    """
    decideApproval(id: ID!, approve: Boolean!, reason: String!): Approval
    """
    The governed path to read a RESTRICTED (encrypted) value: a transaction's field (account,
    counterparty_account, counterparty_name, reference) or a dead letter's raw record (kind DEAD_LETTER),
    with a reason; audited. Roles auditor, admin.
    """
    revealValue(kind: String!, id: ID!, field: String, reason: String!): String
    "Makes a new field-encryption key current and re-encrypts every RESTRICTED value in the background. Role admin."
    rotateFieldKeys: KeyRotation
  }

  type Subscription {
    """
    Live progress of a run over graphql-ws (ws://…/graphql, bearer token in connectionParams.authorization):
    a snapshot at most every 200 ms while it runs, the final one when it ends, then the subscription
    completes. Polling fallback: query run(id). Any role.
    """
    runProgress(id: ID!): Run!
  }

  type PageInfo {
    hasNextPage: Boolean!
    "Always false: connections page forward only."
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
`;

/** The gateway's GraphQL schema (SDL), in three parts: the root, jobs and runs, and the operations around them. */
export const typeDefs = [rootTypeDefs, runsTypeDefs, operationsTypeDefs];
