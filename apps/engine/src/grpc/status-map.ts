import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { METADATA_KEYS } from '@strongroom/contract';
import { ErrorCode, ERROR_CODE_METADATA_KEY, coerceError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';

/** The one table from Strongroom error codes to gRPC status codes (docs/error-catalogue.md). */
export const STATUS_BY_CODE: Record<ErrorCode, status> = {
  [ErrorCode.INVALID_ARGUMENT]: status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_JOB_DEFINITION]: status.INVALID_ARGUMENT,
  [ErrorCode.NOT_FOUND]: status.NOT_FOUND,
  [ErrorCode.ALREADY_EXISTS]: status.ALREADY_EXISTS,
  [ErrorCode.FAILED_PRECONDITION]: status.FAILED_PRECONDITION,
  [ErrorCode.SOURCE_UNAVAILABLE]: status.FAILED_PRECONDITION,
  [ErrorCode.SOURCE_MALFORMED]: status.INVALID_ARGUMENT,
  [ErrorCode.SOURCE_NOT_RECONCILED]: status.FAILED_PRECONDITION,
  [ErrorCode.SOURCE_CHANGED]: status.FAILED_PRECONDITION,
  [ErrorCode.SOURCE_OUTSIDE_ROOTS]: status.PERMISSION_DENIED,
  [ErrorCode.REJECT_RATIO_EXCEEDED]: status.FAILED_PRECONDITION,
  [ErrorCode.CONSERVATION_VIOLATED]: status.DATA_LOSS,
  [ErrorCode.RECONCILIATION_FAILED]: status.DATA_LOSS,
  [ErrorCode.DATABASE_UNAVAILABLE]: status.UNAVAILABLE,
  [ErrorCode.DEADLINE_EXCEEDED]: status.DEADLINE_EXCEEDED,
  [ErrorCode.RESOURCE_EXHAUSTED]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.APPROVAL_REQUIRED]: status.FAILED_PRECONDITION,
  [ErrorCode.UNAVAILABLE]: status.UNAVAILABLE,
  [ErrorCode.CANCELLED]: status.CANCELLED,
  [ErrorCode.UNAUTHENTICATED]: status.UNAUTHENTICATED,
  [ErrorCode.PERMISSION_DENIED]: status.PERMISSION_DENIED,
  [ErrorCode.INTERNAL]: status.INTERNAL,
};

/**
 * Turns any error into a gRPC ServiceError. Unknown errors become INTERNAL with a generic message;
 * their details go to the log only.
 */
export function toServiceError(err: unknown, logger: Logger, method: string): Partial<ServiceError> {
  const e = coerceError(err);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, e.code);
  const retryAfterMs = e.details?.['retryAfterMs'];
  if (e.retryable && typeof retryAfterMs === 'number')
    metadata.set(METADATA_KEYS.retryAfterMs, String(Math.ceil(retryAfterMs)));
  if (e.code === ErrorCode.INTERNAL) {
    logger.error('grpc:internal-error', { method, error: String((err as Error)?.stack ?? err) });
    return { code: status.INTERNAL, details: 'internal error', metadata };
  }
  if (e.code === ErrorCode.DATABASE_UNAVAILABLE)
    logger.warn('grpc:database-unavailable', { method, error: String(err) });
  return { code: STATUS_BY_CODE[e.code], details: e.message, metadata };
}
