// The gateway's typed errors and the one table that maps engine gRPC statuses to them
// (docs/design.md §9.8: map back once, at the gateway edge). docs/error-catalogue.md mirrors the table.
import { type Metadata, type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { type ErrorCode, ERROR_CODE_METADATA_KEY, isErrorCode } from '@strongroom/errors';
import { redactPans } from '@strongroom/logging';
import { GraphQLError } from 'graphql';

/** `extensions.code` values the gateway itself produces. Stable: clients branch on them. */
export type GatewayErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'ENGINE_TIMEOUT'
  | 'ENGINE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

export interface GatewayErrorOptions {
  /** Stable Strongroom code sent by the engine (trailer `x-strongroom-error-code`). */
  readonly strongroomCode?: ErrorCode;
  /** Whether the same request may succeed later (timeouts, unavailability, rate limits). */
  readonly retryable?: boolean;
  /** The original failure, for the server log only. */
  readonly cause?: unknown;
  /** HTTP status for errors that end the whole request (authentication: 401). */
  readonly httpStatus?: number;
  /** HTTP headers to send with such a status (e.g. `www-authenticate`). */
  readonly httpHeaders?: ReadonlyMap<string, string>;
}

/**
 * An error whose message and code are safe to show a caller. Anything else that reaches
 * formatGatewayError is masked as INTERNAL_SERVER_ERROR.
 */
export class GatewayError extends GraphQLError {
  readonly code: GatewayErrorCode;
  readonly strongroomCode: ErrorCode | undefined;
  readonly retryable: boolean;

  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    const http =
      options.httpStatus === undefined
        ? undefined
        : { status: options.httpStatus, headers: new Map(options.httpHeaders ?? []) };
    super(message, {
      extensions: {
        code,
        ...(options.strongroomCode === undefined ? {} : { strongroomCode: options.strongroomCode }),
        ...(http === undefined ? {} : { http }),
      },
    });
    this.name = 'GatewayError';
    this.code = code;
    this.strongroomCode = options.strongroomCode;
    this.retryable = options.retryable ?? false;
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause });
  }

  /** The extensions a caller sees: the code and, when known, the Strongroom code. */
  publicExtensions(): Record<string, unknown> {
    return this.strongroomCode === undefined
      ? { code: this.code }
      : { code: this.code, strongroomCode: this.strongroomCode };
  }
}

interface StatusRule {
  readonly code: GatewayErrorCode;
  /**
   * true: the engine's status message is shown (the engine edge only puts safe, caller-facing text
   * on these statuses). false: a fixed message is shown, because the text may come from the gRPC
   * library itself and name hosts, ports or internals.
   */
  readonly showEngineMessage: boolean;
  readonly message: string;
  readonly retryable: boolean;
}

const rule = (code: GatewayErrorCode, showEngineMessage: boolean, message: string, retryable = false): StatusRule =>
  Object.freeze({ code, showEngineMessage, message, retryable });

const INTERNAL_RULE = rule('INTERNAL_SERVER_ERROR', false, 'internal error');

/** gRPC status → gateway error. Statuses not listed (UNKNOWN, INTERNAL, DATA_LOSS, …) → INTERNAL_RULE. */
export const GRPC_STATUS_RULES: ReadonlyMap<GrpcStatus, StatusRule> = new Map([
  [GrpcStatus.INVALID_ARGUMENT, rule('BAD_USER_INPUT', true, 'invalid argument')],
  [GrpcStatus.OUT_OF_RANGE, rule('BAD_USER_INPUT', true, 'argument out of range')],
  [GrpcStatus.NOT_FOUND, rule('NOT_FOUND', true, 'not found')],
  [GrpcStatus.ALREADY_EXISTS, rule('CONFLICT', true, 'already exists')],
  [GrpcStatus.FAILED_PRECONDITION, rule('FAILED_PRECONDITION', true, 'not allowed in the current state')],
  [GrpcStatus.UNAUTHENTICATED, rule('UNAUTHENTICATED', false, 'the engine did not accept the caller')],
  [GrpcStatus.PERMISSION_DENIED, rule('FORBIDDEN', true, 'not allowed')],
  [GrpcStatus.DEADLINE_EXCEEDED, rule('ENGINE_TIMEOUT', false, 'the engine did not answer in time', true)],
  [GrpcStatus.UNAVAILABLE, rule('ENGINE_UNAVAILABLE', false, 'the engine is unavailable', true)],
  [GrpcStatus.RESOURCE_EXHAUSTED, rule('RATE_LIMITED', false, 'too many requests; retry later', true)],
]);

function strongroomCodeFrom(metadata: Metadata | undefined): ErrorCode | undefined {
  const value = metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  return isErrorCode(value) ? value : undefined;
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/**
 * Maps a failed engine call to a GatewayError. A value that is not a gRPC ServiceError (a bug in the
 * gateway) becomes INTERNAL_SERVER_ERROR too, with the original kept as `cause` for the log.
 */
export function gatewayErrorFromGrpc(err: unknown): GatewayError {
  if (!isServiceError(err)) return new GatewayError('INTERNAL_SERVER_ERROR', INTERNAL_RULE.message, { cause: err });
  const statusRule = GRPC_STATUS_RULES.get(err.code) ?? INTERNAL_RULE;
  // The Strongroom code is a member of a fixed public enum, so it is passed on even when the message
  // is masked (e.g. DATA_LOSS → INTERNAL_SERVER_ERROR with strongroomCode CONSERVATION_VIOLATED).
  const strongroomCode = strongroomCodeFrom(err.metadata);
  const details = typeof err.details === 'string' ? err.details.trim() : '';
  const message = statusRule.showEngineMessage && details !== '' ? redactPans(details) : statusRule.message;
  return new GatewayError(statusRule.code, message, {
    ...(strongroomCode === undefined ? {} : { strongroomCode }),
    retryable: statusRule.retryable,
    cause: err,
  });
}

/** No or unusable credentials: ends the request with HTTP 401 and `www-authenticate: Bearer`. */
export function unauthenticated(message: string): GatewayError {
  return new GatewayError('UNAUTHENTICATED', message, {
    httpStatus: 401,
    httpHeaders: new Map([['www-authenticate', 'Bearer']]),
  });
}

export function forbidden(message: string): GatewayError {
  return new GatewayError('FORBIDDEN', message);
}

export function badUserInput(message: string): GatewayError {
  return new GatewayError('BAD_USER_INPUT', message);
}
