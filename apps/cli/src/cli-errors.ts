import { status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODE_METADATA_KEY, ErrorCode, isErrorCode } from '@strongroom/errors';

/**
 * The CLI's two error edges. A UsageError is the operator's mistake on the command line: exit 2 with the
 * command's usage. Anything else is reported once by `fail`: exit 1, one line on stderr and, with
 * `--json`, one object `{ "error": message, "code": ErrorCode }` whose `code` is the engine's stable code
 * (never a gRPC number or an errno), so scripts can branch on it.
 */
export class UsageError extends Error {
  constructor(
    /** What the command looks like, e.g. `strongroom status <runId> [--wait] [--json]`. */
    readonly usage: string,
    /** What was wrong, when it is more than a missing argument. */
    readonly problem?: string,
  ) {
    super(problem ?? `usage: ${usage}`);
    this.name = 'UsageError';
  }
}

/** gRPC statuses whose meaning is the same ErrorCode when the engine sent none (e.g. it could not be reached). */
const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [status.UNAVAILABLE]: ErrorCode.UNAVAILABLE,
  [status.DEADLINE_EXCEEDED]: ErrorCode.DEADLINE_EXCEEDED,
  [status.RESOURCE_EXHAUSTED]: ErrorCode.RESOURCE_EXHAUSTED,
  [status.CANCELLED]: ErrorCode.CANCELLED,
  [status.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [status.INVALID_ARGUMENT]: ErrorCode.INVALID_ARGUMENT,
  [status.FAILED_PRECONDITION]: ErrorCode.FAILED_PRECONDITION,
  [status.ALREADY_EXISTS]: ErrorCode.ALREADY_EXISTS,
  [status.UNAUTHENTICATED]: ErrorCode.UNAUTHENTICATED,
  [status.PERMISSION_DENIED]: ErrorCode.PERMISSION_DENIED,
};

/** The stable code of an error: the engine's own (trailer), else what its gRPC status means, else INTERNAL. */
export function errorCodeOf(err: unknown): ErrorCode {
  if (err instanceof UsageError) return ErrorCode.INVALID_ARGUMENT;
  const e = err as Partial<ServiceError> & { code?: unknown };
  const sent = e?.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  if (isErrorCode(sent)) return sent;
  if (typeof e?.code === 'number') return BY_STATUS[e.code] ?? ErrorCode.INTERNAL;
  if (isErrorCode(e?.code)) return e.code;
  return ErrorCode.INTERNAL;
}

/** A one-line, human explanation of an error (the engine's messages are already safe for users). */
export function describeError(err: unknown): string {
  const e = err as ServiceError;
  if (typeof e?.code === 'number') {
    if (e.code === status.UNAVAILABLE)
      return `engine unavailable (${e.details || 'no connection'}); is \`strongroom serve\` running?`;
    return e.details || e.message;
  }
  return (err as Error)?.message ?? String(err);
}

/** Reports an error once and returns the exit code: 2 for a usage error, 1 otherwise. */
export function fail(err: unknown, json: boolean): number {
  const code = errorCodeOf(err);
  if (err instanceof UsageError) {
    if (json) process.stdout.write(`${JSON.stringify({ error: err.problem ?? `usage: ${err.usage}`, code })}\n`);
    process.stderr.write(`${err.problem ? `strongroom: ${err.problem}\n` : ''}usage: ${err.usage}\n`);
    return 2;
  }
  const message = describeError(err);
  if (json) process.stdout.write(`${JSON.stringify({ error: message, code })}\n`);
  process.stderr.write(`error: ${message}\n`);
  return 1;
}
