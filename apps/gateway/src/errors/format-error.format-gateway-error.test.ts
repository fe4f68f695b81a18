import { ErrorCode } from '@strongroom/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { GatewayError } from './gateway-error';
import { formatGatewayError } from './format-error';

/** What Apollo hands formatError for an error a resolver threw: graphql-js wraps it with a path. */
function fromResolver(thrown: Error): [GraphQLFormattedError, GraphQLError] {
  const located = new GraphQLError(thrown.message, { path: ['run'], originalError: thrown });
  const formatted = {
    ...located.toJSON(),
    locations: [{ line: 1, column: 3 }],
    extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at secret.ts:1'], ...located.extensions },
  };
  return [formatted, located];
}

describe('formatGatewayError', () => {
  it('masks an unknown resolver error: generic message, INTERNAL_SERVER_ERROR, no stack or details', () => {
    const [formatted, error] = fromResolver(new Error('relation "immutable_audit_log" does not exist'));
    const out = formatGatewayError(formatted, error);
    expect(out).toEqual({
      message: 'internal error',
      locations: [{ line: 1, column: 3 }],
      path: ['run'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('keeps the code, message and Strongroom code of a GatewayError and drops everything else', () => {
    const [formatted, error] = fromResolver(
      new GatewayError('NOT_FOUND', 'run r1 not found', { strongroomCode: ErrorCode.NOT_FOUND, cause: new Error('x') }),
    );
    expect(formatGatewayError(formatted, error)).toEqual({
      message: 'run r1 not found',
      locations: [{ line: 1, column: 3 }],
      path: ['run'],
      extensions: { code: 'NOT_FOUND', strongroomCode: 'NOT_FOUND' },
    });
  });

  it('shows validation and syntax errors about the caller’s own query', () => {
    const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const out = formatGatewayError(
      { ...error.toJSON(), extensions: { ...error.extensions, stacktrace: ['x'] } },
      error,
    );
    expect(out).toEqual({ message: error.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('does not trust a request-error code on an error thrown from a resolver', () => {
    const sneaky = new GraphQLError('SELECT * FROM jobs failed', { extensions: { code: 'BAD_USER_INPUT' } });
    const [formatted, error] = fromResolver(sneaky);
    expect(formatGatewayError(formatted, error).message).toBe('internal error');
  });

  it('masks graphql-js errors without a code, such as a null in a non-null field', () => {
    const error = new GraphQLError('Cannot return null for non-nullable field Run.status.', {
      path: ['run', 'status'],
    });
    expect(formatGatewayError(error.toJSON(), error)).toMatchObject({
      message: 'internal error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('never throws, whatever it is given', () => {
    const hostile = {
      get message(): string {
        throw new Error('boom');
      },
    } as unknown as GraphQLFormattedError;
    for (const error of [undefined, null, 'a string', 42, {}, hostile]) {
      expect(() => formatGatewayError(hostile, error)).not.toThrow();
      expect(formatGatewayError({ message: 'm' }, error).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    }
  });
});
