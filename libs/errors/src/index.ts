// Public API of @strongroom/errors: the ErrorCode enum, the base error, and coerceError.
export { ErrorCode, ERROR_CODES, isErrorCode, ERROR_CODE_METADATA_KEY } from './error-codes';
export { StrongroomError, coerceError, type StrongroomErrorOptions } from './strongroom-error';
export { pgErrorCode, isRetryablePgError } from './pg-errors';
