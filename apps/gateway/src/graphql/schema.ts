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
  }

  type Mutation {
    """
    Defines a job from YAML or JSON text (DESIGN.md §5), or a new version of the job with the same
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
