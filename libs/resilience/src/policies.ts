import { isRetryablePgError, pgErrorCode } from '@strongroom/errors';

/**
 * A circuit-breaker policy for one dependency. Every option has a default and a trade-off:
 * shorter timeouts and lower thresholds fail fast but trip on noise; longer ones ride out blips but
 * keep callers waiting on a dead dependency.
 */
export interface BreakerPolicy {
  /** Breaker name, e.g. `postgres`, `source:file`, `engine` (shown in metrics, audit, gRPC). */
  name: string;
  /** A call slower than this counts as a failure (ms). */
  timeoutMs: number;
  /** Open when this percentage of calls in the rolling window failed… */
  errorThresholdPercentage: number;
  /** …and at least this many calls were made in it (no trip on one unlucky call). */
  volumeThreshold: number;
  /**
   * Also open after this many failures in a row, whatever the window holds. A dependency that hangs
   * (a blackholed link) fails slowly, one timeout at a time, while the window is still full of the
   * successes from just before: the percentage alone would take most of the window to trip.
   */
  consecutiveFailures: number;
  /** Rolling window over which failures are counted (ms). */
  rollingCountTimeoutMs: number;
  /** After opening, wait this long before letting one probe call through (half-open) (ms). */
  resetTimeoutMs: number;
  /**
   * Which errors count against the dependency. Decided by code (SQLSTATE, errno, gRPC status), never by
   * message text: a constraint violation is the caller's problem, a refused connection is the dependency's.
   */
  isFailure: (err: unknown) => boolean;
}

const GRPC_DEPENDENCY_FAILURES = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */]);

/** PostgreSQL: connection loss, admin shutdown, resource exhaustion, timeouts. */
export const POSTGRES_POLICY: BreakerPolicy = {
  name: 'postgres',
  timeoutMs: 65_000, // above statement_timeout (60 s): let the database time out first, with its precise error
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  consecutiveFailures: 3,
  rollingCountTimeoutMs: 10_000,
  resetTimeoutMs: 2_000,
  isFailure: (err) => isRetryablePgError(err) || isConnectionLevel(err),
};

/** The gateway's client of the engine: unavailable, too slow, overloaded. */
export const ENGINE_CLIENT_POLICY: BreakerPolicy = {
  name: 'engine',
  timeoutMs: 10_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  consecutiveFailures: 5,
  rollingCountTimeoutMs: 10_000,
  resetTimeoutMs: 3_000,
  isFailure: (err) => GRPC_DEPENDENCY_FAILURES.has((err as { code?: unknown })?.code as number),
};

/** A file source: the file system failing (not a malformed file, which is the data's problem). */
export const FILE_SOURCE_POLICY: BreakerPolicy = {
  name: 'source:file',
  timeoutMs: 30_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  consecutiveFailures: 3,
  rollingCountTimeoutMs: 30_000,
  resetTimeoutMs: 5_000,
  isFailure: (err) =>
    ['EIO', 'ESTALE', 'ETIMEDOUT', 'EAGAIN', 'EBUSY'].includes(String((err as { code?: unknown })?.code)),
};

/**
 * The sanctions screening service. Today the list is an in-process index (it does not fail on its own);
 * the policy is what a remote screening service (a vendor API, a screening cluster) is called through:
 * unavailable, too slow or overloaded counts, a bad request does not.
 */
export const SCREENING_POLICY: BreakerPolicy = {
  name: 'sanctions-screening',
  timeoutMs: 10_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  consecutiveFailures: 3,
  rollingCountTimeoutMs: 30_000,
  resetTimeoutMs: 5_000,
  isFailure: (err) => {
    const code = (err as { code?: unknown })?.code;
    return (
      GRPC_DEPENDENCY_FAILURES.has(code as number) ||
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'].includes(String(code))
    );
  },
};

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
]);

/**
 * A failure of the connection rather than of the statement: an errno from the socket, or an error that
 * carries no SQLSTATE at all — every error PostgreSQL itself returns has one, so an error without one
 * came from the link (node-postgres reports a dropped connection that way). Decided by structure,
 * never by message text.
 */
function isConnectionLevel(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: unknown; name?: unknown } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'StrongroomError') return false; // our own, already classified
  if (typeof e.code === 'string' && CONNECTION_ERRNOS.has(e.code)) return true;
  if (e.driverError && e.driverError !== err) return POSTGRES_POLICY.isFailure(e.driverError);
  return pgErrorCode(err) === undefined && e.code === undefined;
}
