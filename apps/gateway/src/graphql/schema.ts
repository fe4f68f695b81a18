// The public GraphQL schema (SDL). Types mirror proto/strongroom/engine/v1; names are camelCase.
// Kept as a TypeScript string so that running from source and from a build load the same schema.
export const typeDefs = /* GraphQL */ `
  """
  An instant, ISO-8601 in UTC with milliseconds, e.g. 2026-01-31T06:00:00.000Z.
  """
  scalar DateTime

  """
  An integer in ±(2^53-1), serialized as a JSON number. Counts and byte sizes exceed GraphQL Int (32 bits).
  """
  scalar Long

  type Query {
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
    "Dead letters, oldest first. Roles operator, auditor, admin. first: 1..100, default 20."
    deadLetters(
      runId: ID
      status: DeadLetterStatus
      reasonCode: String
      first: Int = 20
      after: String
    ): DeadLetterConnection!
    "AML / sanctions / KYC alerts, newest first. Evidence is masked unless you are an auditor or admin."
    alerts(rule: String, status: AlertStatus, runId: ID, first: Int = 20, after: String): AlertConnection!
    "Audit chain entries, newest first. Roles auditor, admin."
    auditEntries(action: String, first: Int = 20, after: String): AuditEntryConnection!
    "Verifies the whole audit chain (and the signed checkpoints). Roles auditor, admin."
    auditVerification: AuditVerification!
    "Legal holds; active ones only unless activeOnly is false. Roles auditor, admin."
    legalHolds(activeOnly: Boolean = true): [LegalHold!]!
    "A compliance report (SOX, PCI_DSS, AML, KYC) over [from, to], as JSON and CSV. Roles auditor, admin."
    complianceReport(framework: String!, from: String!, to: String!): ComplianceReport!
    "A field-key rotation by id, or the latest. Role admin."
    keyRotation(id: ID): KeyRotation
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
    runJob(jobId: ID!): RunJobPayload
    "Pauses a running run after its current batch. Roles operator, admin."
    pauseRun(id: ID!): Run
    "Resumes a paused or interrupted run. Roles operator, admin."
    resumeRun(id: ID!): Run
    "Cancels a run; it publishes nothing. Roles operator, admin."
    cancelRun(id: ID!): Run
    "Replays dead letters (the given ids, or every PENDING one of runId); idempotent. Roles operator, admin."
    replayDeadLetters(ids: [ID!], runId: ID): ReplayPayload
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
    purgeExpired(dryRun: Boolean = true): PurgeResult
    "Makes a new field-encryption key current and re-encrypts every RESTRICTED value in the background. Role admin."
    rotateFieldKeys: KeyRotation
  }

  type JobPurge {
    jobId: ID!
    jobName: String!
    retentionDays: Int!
    cutoff: DateTime
    expired: Long!
    purged: Long!
    held: Long!
    deadLettersPurged: Long!
  }

  type PurgeResult {
    dryRun: Boolean!
    jobs: [JobPurge!]!
    purged: Long!
    held: Long!
    deadLettersPurged: Long!
  }

  type KeyRotation {
    id: ID!
    toKeyId: String!
    "RUNNING, DONE or FAILED."
    status: String!
    valuesReencrypted: Long!
    requestedBy: String!
    startedAt: DateTime
    finishedAt: DateTime
    error: String
  }

  type Breaker {
    name: String!
    "CLOSED, OPEN or HALF_OPEN."
    state: String!
    lastTransitionAt: DateTime
    failureCount: Int!
  }

  enum DeadLetterStatus {
    PENDING
    REPLAYED
    DISCARDED
  }

  type DeadLetter {
    id: ID!
    runId: ID!
    jobId: ID!
    recordNo: Long!
    "The record as read: card numbers masked; encrypted (enc:v1:…) for jobs with RESTRICTED fields."
    rawRecord: String!
    "Stable reason code (docs/error-catalogue.md)."
    reasonCode: String!
    reasonMessage: String!
    field: String
    attempts: Int!
    status: DeadLetterStatus!
    resolution: String
    resolvedBy: String
    createdAt: DateTime
    resolvedAt: DateTime
  }

  type DeadLetterEdge {
    cursor: String!
    node: DeadLetter!
  }

  type DeadLetterConnection {
    edges: [DeadLetterEdge!]!
    pageInfo: PageInfo!
  }

  type ReplayOutcome {
    id: ID!
    "LOADED, ALREADY_LOADED, STILL_FAILING or SKIPPED."
    outcome: String!
    reasonCode: String
    reasonMessage: String
  }

  type ReplayPayload {
    loaded: Int!
    alreadyLoaded: Int!
    stillFailing: Int!
    skipped: Int!
    outcomes: [ReplayOutcome!]!
  }

  type DiscardPayload {
    discarded: Int!
    skipped: Int!
  }

  enum AlertStatus {
    OPEN
    ESCALATED
    CLOSED
  }

  type Alert {
    id: ID!
    "SANCTIONS, LARGE_TRANSACTION, STRUCTURING, VELOCITY, ROUND_AMOUNT, HIGH_RISK_JURISDICTION, RAPID_MOVEMENT or KYC."
    rule: String!
    "0..100."
    score: Int!
    status: AlertStatus!
    sourceSystem: String!
    txnId: String!
    "Masked (last 4) unless you are an auditor or admin."
    account: String!
    bookedAt: DateTime
    runId: ID!
    "What the rule saw, as JSON (amounts as decimal strings). Names and accounts masked unless you are an auditor or admin."
    evidenceJson: String!
    statusReason: String
    statusChangedBy: String
    createdAt: DateTime
  }

  type AlertEdge {
    cursor: String!
    node: Alert!
  }

  type AlertConnection {
    edges: [AlertEdge!]!
    pageInfo: PageInfo!
  }

  type AuditEntry {
    seq: Long!
    occurredAt: DateTime
    actor: String!
    action: String!
    subjectJson: String!
    detailsJson: String!
    hash: String!
  }

  type AuditEntryEdge {
    cursor: String!
    node: AuditEntry!
  }

  type AuditEntryConnection {
    edges: [AuditEntryEdge!]!
    pageInfo: PageInfo!
  }

  type AuditVerification {
    ok: Boolean!
    entries: Long!
    "The first entry that does not verify; null when ok."
    firstBadSeq: Long
    "modified, deleted, inserted, reordered, truncated, rehashed or forged-checkpoint; null when ok."
    kind: String
    message: String!
  }

  enum HoldScope {
    ACCOUNT
    JOB
    RUN
  }

  type LegalHold {
    id: ID!
    scope: HoldScope!
    value: String!
    reason: String!
    placedBy: String!
    placedAt: DateTime
    releasedBy: String
    releasedAt: DateTime
    releaseReason: String
  }

  type ComplianceReport {
    framework: String!
    "The report as JSON: framework, from, to, generatedAt, summary, sections."
    json: String!
    "The same report as CSV (section,row,column,value)."
    csv: String!
  }

  type Subscription {
    """
    Live progress of a run over graphql-ws (ws://…/graphql, bearer token in connectionParams.authorization):
    a snapshot at most every 200 ms while it runs, the final one when it ends, then the subscription
    completes. Polling fallback: query run(id). Any role.
    """
    runProgress(id: ID!): Run!
  }

  type CreateJobPayload {
    job: Job!
    "False when an identical definition already existed (no new version)."
    created: Boolean!
  }

  type RunJobPayload {
    run: Run!
    "True when this file had already been submitted to this job and the existing run is returned."
    existing: Boolean!
  }

  type PageInfo {
    hasNextPage: Boolean!
    "Always false: connections page forward only."
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type Job {
    id: ID!
    name: String!
    "Version of the definition; a changed definition creates a new version."
    version: Int!
    "Kind of source, e.g. csv."
    sourceKind: String!
    sinkTable: String!
    "The validated definition as canonical JSON (source paths absolute)."
    definitionJson: String!
    createdAt: DateTime
    updatedAt: DateTime
    "Runs of this job. first: 1..100, default 20."
    runs(status: RunStatus, first: Int = 20, after: String): RunConnection!
  }

  type JobEdge {
    cursor: String!
    node: Job!
  }

  type JobConnection {
    edges: [JobEdge!]!
    pageInfo: PageInfo!
  }

  "PENDING -> RUNNING <-> PAUSED -> SUCCEEDED | FAILED | CANCELLED"
  enum RunStatus {
    PENDING
    RUNNING
    PAUSED
    SUCCEEDED
    FAILED
    CANCELLED
  }

  "Records set aside without loading, for one reason (e.g. ALREADY_LOADED)."
  type FilteredCount {
    reason: String!
    count: Long!
  }

  "Count and exact sum of amounts in one currency."
  type CurrencyTotal {
    "ISO 4217 alphabetic code."
    currency: String!
    count: Long!
    "Decimal string with the currency's minor-unit scale, e.g. 1234.50. Never a float."
    amount: String!
  }

  "Source totals against totals read back from the sink (invariant I4)."
  type Reconciliation {
    reconciled: Boolean!
    "Why it did not reconcile; null when reconciled."
    reason: String
    sourceTotals: [CurrencyTotal!]!
    sinkTotals: [CurrencyTotal!]!
  }

  type Run {
    id: ID!
    jobId: ID!
    jobName: String!
    jobVersion: Int!
    "The job this run belongs to (its current state, not the version the run used)."
    job: Job
    status: RunStatus!
    "Conservation (I1): read = loaded + deadLettered + filtered."
    read: Long!
    loaded: Long!
    deadLettered: Long!
    filtered: Long!
    filteredByReason: [FilteredCount!]!
    sourcePath: String!
    "SHA-256 of the source file, hex."
    sourceSha256: String!
    sourceBytes: Long!
    "Bytes of the source consumed so far (progress)."
    bytesRead: Long!
    batchesCommitted: Long!
    createdAt: DateTime
    startedAt: DateTime
    finishedAt: DateTime
    "Stable error code (docs/error-catalogue.md) when FAILED; null otherwise."
    errorCode: String
    errorMessage: String
    "Records per second over the run so far."
    recordsPerSecond: Float!
    "Present once the run has been reconciled."
    reconciliation: Reconciliation
    "The run against its job version's SLA (deadline, maximum error rate); status NONE without an SLA."
    sla: RunSla!
  }

  "ON_TRACK; AT_RISK: projected past the deadline at the current throughput, or error rate above 80 % of the maximum; BREACHED: deadline passed or error rate above the maximum."
  enum SlaStatus {
    NONE
    ON_TRACK
    AT_RISK
    BREACHED
  }

  type RunSla {
    status: SlaStatus!
    deadline: DateTime
    "When the run would finish at its current throughput (running runs)."
    projectedFinish: DateTime
    "deadLettered / read so far."
    errorRate: Float!
    maxErrorRate: Float
    reason: String!
  }

  type RunEdge {
    cursor: String!
    node: Run!
  }

  type RunConnection {
    edges: [RunEdge!]!
    pageInfo: PageInfo!
  }
`;
