/**
 * Stable error codes. A code never changes meaning once released: clients, operators' scripts and the
 * error catalogue (docs/error-catalogue.md) depend on it. The engine maps each code to one gRPC status
 * (apps/engine/src/grpc/status-map.ts), the gateway maps the status back to a GraphQL code.
 */
export enum ErrorCode {
  /** A request or definition failed validation; the message names the bad path. */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** The job definition does not satisfy the job schema. */
  INVALID_JOB_DEFINITION = 'INVALID_JOB_DEFINITION',
  /** A referenced job, run or record does not exist. */
  NOT_FOUND = 'NOT_FOUND',
  /** The thing to create exists already (e.g. the same file submitted to the same job). */
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  /** The operation is not allowed in the current state (e.g. cancelling a finished run). */
  FAILED_PRECONDITION = 'FAILED_PRECONDITION',
  /** The source file cannot be read (missing, unreadable, not a regular file). */
  SOURCE_UNAVAILABLE = 'SOURCE_UNAVAILABLE',
  /** The source file is malformed beyond record level (e.g. a CSV header without required columns). */
  SOURCE_MALFORMED = 'SOURCE_MALFORMED',
  /** A source path (or a job's base directory) is outside the engine's source roots: refused, nothing read. */
  SOURCE_OUTSIDE_ROOTS = 'SOURCE_OUTSIDE_ROOTS',
  /** The source file changed since it was submitted (its SHA-256 differs). */
  SOURCE_CHANGED = 'SOURCE_CHANGED',
  /** A bank file (ACH, camt, MT940, BAI2, pain.001) does not match its own control totals: rejected whole, nothing loaded. */
  SOURCE_NOT_RECONCILED = 'SOURCE_NOT_RECONCILED',
  /** More records were rejected than the job's maxRejectRatio allows. */
  REJECT_RATIO_EXCEEDED = 'REJECT_RATIO_EXCEEDED',
  /** read != loaded + dead_lettered + filtered at the end of a run (I1). */
  CONSERVATION_VIOLATED = 'CONSERVATION_VIOLATED',
  /** Totals read back from the sink differ from the source totals (I4). */
  RECONCILIATION_FAILED = 'RECONCILIATION_FAILED',
  /** The database could not be reached or failed in a way that may succeed on retry. */
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
  /** The call ran out of time. */
  /** A limit of the engine was reached: too many ingest streams for the caller or the engine, a message over the size limit. */
  RESOURCE_EXHAUSTED = 'RESOURCE_EXHAUSTED',
  /** Four eyes: the action was requested, not carried out; another person must approve the request named in the message. */
  APPROVAL_REQUIRED = 'APPROVAL_REQUIRED',
  DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED',
  /** The service is shutting down or temporarily unable to take work. */
  UNAVAILABLE = 'UNAVAILABLE',
  /** The run was cancelled by an operator. */
  CANCELLED = 'CANCELLED',
  /** No or bad credentials. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** Authenticated but not allowed. */
  PERMISSION_DENIED = 'PERMISSION_DENIED',
  /** An unexpected failure; details are in the server log only. */
  INTERNAL = 'INTERNAL',
}

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * The gRPC trailing-metadata key in which the engine sends a failed call's stable ErrorCode, and from which
 * the gateway and the CLI read it back (the status alone is coarser than the code).
 */
export const ERROR_CODE_METADATA_KEY = 'x-strongroom-error-code';
