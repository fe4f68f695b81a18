// The one place that decides what a caller sees of an error (Apollo `formatError`), and the matching
// classification the error-logging plugin uses. Unknown errors are masked: no stack, no SQL, no
// internal message, just INTERNAL_SERVER_ERROR and the correlation id in the response header.
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { GatewayError } from './gateway-error';

/**
 * Codes Apollo and graphql-js attach to errors about the request itself (syntax, validation,
 * variable coercion, CSRF). Their messages describe the caller's own query, so they are shown.
 */
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

export const INTERNAL_MESSAGE = 'internal error';

export type ErrorClass =
  /** A GatewayError: code and message chosen by us. */
  | { kind: 'gateway'; error: GatewayError }
  /** An error about the request's own text or variables. */
  | { kind: 'request'; code: string }
  /** Anything else: a bug, an unexpected library error, a contract violation. Masked. */
  | { kind: 'unknown'; error: unknown };

/** Sorts an error (as Apollo hands it to formatError or plugins) into one of three kinds. */
export function classifyError(error: unknown): ErrorClass {
  const original = unwrapResolverError(error);
  if (original instanceof GatewayError) return { kind: 'gateway', error: original };
  if (original instanceof GraphQLError && original === error) {
    const code = original.extensions?.code;
    // A resolver error is never a request error, even if it borrowed a request code.
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code) && original.path === undefined) {
      return { kind: 'request', code };
    }
  }
  return { kind: 'unknown', error: original };
}

function withPosition(
  formatted: GraphQLFormattedError | undefined,
  message: string,
  extensions: Record<string, unknown>,
): GraphQLFormattedError {
  const out: { -readonly [K in keyof GraphQLFormattedError]: GraphQLFormattedError[K] } = { message };
  if (formatted?.locations !== undefined) out.locations = formatted.locations;
  if (formatted?.path !== undefined) out.path = formatted.path;
  out.extensions = extensions;
  return out;
}

/**
 * Apollo `formatError`. Keeps `locations` and `path`, replaces `extensions` with the public ones
 * (`code`, and `strongroomCode` when the engine sent one) and never throws.
 */
export function formatGatewayError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  try {
    const c = classifyError(error);
    switch (c.kind) {
      case 'gateway':
        return withPosition(formatted, c.error.message, c.error.publicExtensions());
      case 'request': {
        // a query-limit refusal (graphql/limits.ts) also names the limit it hit
        const limit = formatted.extensions?.['limit'];
        return withPosition(formatted, String(formatted.message), {
          code: c.code,
          ...(typeof limit === 'string' ? { limit } : {}),
        });
      }
      default:
        return withPosition(formatted, INTERNAL_MESSAGE, { code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR });
    }
  } catch {
    return { message: INTERNAL_MESSAGE, extensions: { code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR } };
  }
}
