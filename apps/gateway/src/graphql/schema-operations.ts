/** What operators, analysts and auditors act on: dead letters, AML alerts, the audit chain, legal holds, retention, reports, breakers and key rotations. */
export const operationsTypeDefs = /* GraphQL */ `
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

  "A governed action asked for by one person, carried out when another approves it (four eyes)."
  type Approval {
    id: ID!
    "ReleaseLegalHold, PurgeExpired, DiscardDeadLetters, CloseAlert or ChangeJobRetention."
    action: String!
    "What the action will do, as requested (JSON)."
    paramsJson: String!
    reason: String!
    requestedBy: String!
    requestedAt: DateTime
    "PENDING, APPROVING (approved, under way or in doubt), APPROVED or REJECTED."
    status: String!
    decidedBy: String
    decidedAt: DateTime
    decisionReason: String
    "What the action did once approved (JSON)."
    resultJson: String
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

  "OPEN: nobody holds it (not started, given back, or its lease ran out); HELD: a replica holds it under a live lease; DONE: all of it committed."
  enum PartitionState {
    OPEN
    HELD
    DONE
  }

  type RunPartition {
    partitionNo: Int!
    state: PartitionState!
    "The replica holding (or that last held) the lease; null when given back or done."
    owner: String
    "Bumped by every claim; a batch commits only under the current epoch."
    leaseEpoch: Long!
    leaseExpiresAt: DateTime
    "The byte range [startByte, endByte) of the file, and where the next batch starts."
    startByte: Long!
    endByte: Long!
    nextOffset: Long!
    read: Long!
    loaded: Long!
    deadLettered: Long!
    filtered: Long!
    batchesCommitted: Int!
    "Batches of a superseded lease turned away at commit."
    fencedBatches: Int!
  }

  type Replica {
    id: String!
    host: String!
    pid: Int!
    "Its gRPC address."
    address: String
    startedAt: DateTime!
    "The last heartbeat, on the database's clock."
    heartbeatAt: DateTime!
    stoppedAt: DateTime
    "Not stopped, and a heartbeat within the last three lease periods."
    live: Boolean!
    partitionsHeld: Int!
    runsHeld: Int!
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

  "A corrected raw record for one dead letter, in the source's format (one CSV line with the original columns)."
  input DeadLetterCorrectionInput {
    id: ID!
    rawRecord: String!
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

  "How alerts are listed: NEWEST first, or by PRIORITY (highest score first, then newest first)."
  enum AlertOrder {
    NEWEST
    PRIORITY
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

  "How many dead letters there are per reason code: all of them, not a page."
  type DeadLetterReasons {
    total: Long!
    "Most frequent first, then by reason code."
    reasons: [DeadLetterReasonCount!]!
  }

  type DeadLetterReasonCount {
    reasonCode: String!
    count: Long!
  }

  "A signed checkpoint of the audit chain (Ed25519; the key never enters the database)."
  type AuditCheckpoint {
    seq: Long!
    hash: String!
    signedAt: String!
    keyId: String!
  }

  "A verification of the audit chain, as recorded in the chain (audit:verified or audit:verification_failed)."
  type AuditChainVerification {
    verifiedAt: DateTime
    "Who asked: user:<sub> or service:<name>."
    actor: String!
    ok: Boolean!
    entries: Long!
    "An incremental verification trusts the entries up to this seq (its signed checkpoint); 0 from genesis."
    trustedThroughSeq: Long!
    "The first entry that did not verify; null when ok."
    firstBadSeq: Long
    kind: String
  }

  "The audit chain at a glance."
  type AuditChainStatus {
    "Entries in the chain (the head's seq)."
    entries: Long!
    headHash: String
    headAt: DateTime
    "Null until a checkpoint is signed."
    lastCheckpoint: AuditCheckpoint
    "Null until the chain was verified (auditVerification, strongroom audit verify)."
    lastVerification: AuditChainVerification
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
`;
