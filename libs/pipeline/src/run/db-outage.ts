import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { BreakerOpenError, POSTGRES_POLICY } from '@strongroom/resilience';

/**
 * Errors of the database link (breaker open, connection lost, no SQLSTATE) become retryable
 * DATABASE_UNAVAILABLE: the run stops at its last committed batch and resumes when the database is back.
 */
export function asDatabaseOutage(err: unknown): never {
  if (isDatabaseOutage(err))
    throw new StrongroomError(ErrorCode.DATABASE_UNAVAILABLE, 'database unavailable', { retryable: true, cause: err });
  throw err;
}

/** A programming error (TypeError, RangeError, …) is never mistaken for the database going away. */
export function isDatabaseOutage(err: unknown): boolean {
  if (err instanceof BreakerOpenError) return true;
  if (
    err instanceof StrongroomError ||
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof ReferenceError ||
    err instanceof SyntaxError
  )
    return false;
  return POSTGRES_POLICY.isFailure(err);
}
