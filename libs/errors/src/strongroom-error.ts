import { ErrorCode, isErrorCode } from './error-codes';
import { isRetryablePgError, pgErrorCode } from './pg-errors';

export interface StrongroomErrorOptions {
  /** Whether repeating the same operation may succeed. Defaults to false. */
  retryable?: boolean;
  /** The original error, kept for logs; never sent to callers. */
  cause?: unknown;
  /** Safe, structured details for callers (e.g. the bad path of a definition). */
  details?: Record<string, unknown>;
}

/** The one error type that crosses module boundaries: a stable code, a safe message, a retryable flag. */
export class StrongroomError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: StrongroomErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrongroomError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/**
 * Turns any thrown value into a StrongroomError. Known PostgreSQL connection/serialization failures
 * become retryable DATABASE_UNAVAILABLE; everything unknown becomes INTERNAL with a generic message
 * (the original stays in `cause` for the log).
 */
export function coerceError(err: unknown): StrongroomError {
  if (err instanceof StrongroomError) return err;
  if (err && typeof err === 'object' && 'code' in err && isErrorCode((err as { code: unknown }).code)) {
    const e = err as { code: ErrorCode; message?: unknown; retryable?: unknown };
    return new StrongroomError(e.code, typeof e.message === 'string' ? e.message : e.code, {
      retryable: e.retryable === true,
      cause: err,
    });
  }
  const sqlState = pgErrorCode(err);
  if (sqlState !== undefined && isRetryablePgError(err)) {
    return new StrongroomError(ErrorCode.DATABASE_UNAVAILABLE, `database unavailable (SQLSTATE ${sqlState})`, {
      retryable: true,
      cause: err,
    });
  }
  if (isConnectionError(err)) {
    return new StrongroomError(ErrorCode.DATABASE_UNAVAILABLE, 'database unavailable', { retryable: true, cause: err });
  }
  return new StrongroomError(ErrorCode.INTERNAL, 'internal error', { cause: err });
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);

function isConnectionError(err: unknown): boolean {
  const code = err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && CONNECTION_ERRNOS.has(code);
}
