import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { BreakerOpenError, FILE_SOURCE_POLICY, type Breaker } from '@strongroom/resilience';

/**
 * A source that fails for a transient reason (the file system or mount answering EIO, ESTALE, ETIMEDOUT,
 * EAGAIN, EBUSY — FILE_SOURCE_POLICY decides, by errno) or whose breaker is open is an outage, not bad
 * data: the run stops at its last committed batch and resumes later from there. A missing file, a
 * permission error or a malformed record stay what they are.
 */
export function isSourceOutage(err: unknown): boolean {
  if (err instanceof BreakerOpenError) return true;
  const cause = err instanceof StrongroomError ? (err.cause as unknown) : err;
  if (err instanceof StrongroomError && err.code !== ErrorCode.SOURCE_UNAVAILABLE) return false;
  return cause !== undefined && FILE_SOURCE_POLICY.isFailure(cause);
}

/** Rethrows a source outage as a retryable SOURCE_UNAVAILABLE naming the source; anything else unchanged. */
export function asSourceOutage(err: unknown, source: string): never {
  if (!isSourceOutage(err)) throw err;
  const why =
    err instanceof BreakerOpenError
      ? `circuit breaker ${err.breaker} is open`
      : String((err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code ?? 'error');
  throw new StrongroomError(
    ErrorCode.SOURCE_UNAVAILABLE,
    `source ${source} is unavailable (${why}); the run resumes from its last committed batch`,
    { retryable: true, cause: err },
  );
}

/** Runs one source operation (open, read a batch) through the source breaker when there is one. */
export function throughSource<T>(breaker: Breaker | undefined, source: string, op: () => Promise<T>): Promise<T> {
  return (breaker ? breaker.call(op) : op()).catch((err: unknown) => asSourceOutage(err, source));
}
