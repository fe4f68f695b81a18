/** Jobs and runs: definitions, versions, live status, counters, totals, reconciliation and SLA. */
export const runsTypeDefs = /* GraphQL */ `
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
    "Rows of this run that stay in the sink: loaded ones while it runs and once published; 0 once FAILED or CANCELLED (its rows were removed, nothing of it is published)."
    inSink: Long!
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
    "Why the run is PAUSED (or was interrupted); null otherwise."
    statusReason: String
    "Times execution started: 1 + resumes after interruptions and takeovers."
    attempts: Int!
    "Identifiers (txn_id, account, counterparty_account) stored as card tokens: a warning, since the business key changed."
    identifiersTokenized: Long!
    "Records read per second over the run's time, from its committed batches (up to 120 steps): a plot after the fact."
    throughput: [ThroughputPoint!]!
  }

  type ThroughputPoint {
    "Seconds since the run started (the end of the step)."
    seconds: Float!
    recordsPerSecond: Float!
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
