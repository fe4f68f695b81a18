import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ErrorCode, ERROR_CODE_METADATA_KEY } from '@strongroom/errors';
import { gatewayErrorFromGrpc } from './gateway-error';

/** A failed call as grpc-js reports it (callErrorFromStatus): an Error with code, details, metadata. */
function serviceError(code: status, details: string, strongroomCode?: string): ServiceError {
  const metadata = new Metadata();
  if (strongroomCode !== undefined) metadata.set(ERROR_CODE_METADATA_KEY, strongroomCode);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

describe('gatewayErrorFromGrpc', () => {
  it.each([
    [status.INVALID_ARGUMENT, 'BAD_USER_INPUT'],
    [status.NOT_FOUND, 'NOT_FOUND'],
    [status.ALREADY_EXISTS, 'CONFLICT'],
    [status.FAILED_PRECONDITION, 'FAILED_PRECONDITION'],
    [status.UNAUTHENTICATED, 'UNAUTHENTICATED'],
    [status.PERMISSION_DENIED, 'FORBIDDEN'],
    [status.DEADLINE_EXCEEDED, 'ENGINE_TIMEOUT'],
    [status.UNAVAILABLE, 'ENGINE_UNAVAILABLE'],
    [status.RESOURCE_EXHAUSTED, 'RATE_LIMITED'],
    [status.INTERNAL, 'INTERNAL_SERVER_ERROR'],
    [status.UNKNOWN, 'INTERNAL_SERVER_ERROR'],
    [status.DATA_LOSS, 'INTERNAL_SERVER_ERROR'],
    [status.UNIMPLEMENTED, 'INTERNAL_SERVER_ERROR'],
    [status.CANCELLED, 'INTERNAL_SERVER_ERROR'],
  ])('maps gRPC status %s to extensions.code %s', (code, expected) => {
    const err = gatewayErrorFromGrpc(serviceError(code, 'whatever'));
    expect(err.code).toBe(expected);
    expect(err.extensions.code).toBe(expected);
  });

  it('shows the engine message for caller mistakes and carries the Strongroom code from the trailers', () => {
    const err = gatewayErrorFromGrpc(
      serviceError(status.INVALID_ARGUMENT, 'source.path: required', ErrorCode.INVALID_JOB_DEFINITION),
    );
    expect(err.message).toBe('source.path: required');
    expect(err.publicExtensions()).toEqual({ code: 'BAD_USER_INPUT', strongroomCode: 'INVALID_JOB_DEFINITION' });
  });

  it('replaces library and internal messages with fixed ones, so no host, port or SQL reaches the caller', () => {
    const unavailable = gatewayErrorFromGrpc(
      serviceError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 10.0.0.7:50051'),
    );
    expect(unavailable.message).toBe('the engine is unavailable');
    expect(unavailable.retryable).toBe(true);
    const internal = gatewayErrorFromGrpc(serviceError(status.INTERNAL, 'relation "jobs" does not exist'));
    expect(internal.message).toBe('internal error');
    expect(internal.publicExtensions()).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('keeps the Strongroom code on a masked error, because the code is public and the text is not', () => {
    const lost = gatewayErrorFromGrpc(
      serviceError(status.DATA_LOSS, 'read 6 != loaded 4 + dead-lettered 1', ErrorCode.CONSERVATION_VIOLATED),
    );
    expect(lost.message).toBe('internal error');
    expect(lost.publicExtensions()).toEqual({ code: 'INTERNAL_SERVER_ERROR', strongroomCode: 'CONSERVATION_VIOLATED' });
  });

  it('ignores a trailer value that is not a known Strongroom code', () => {
    const err = gatewayErrorFromGrpc(serviceError(status.NOT_FOUND, 'run r1 not found', 'DROP TABLE'));
    expect(err.strongroomCode).toBeUndefined();
    expect(err.publicExtensions()).toEqual({ code: 'NOT_FOUND' });
  });

  it('masks card numbers in engine messages it passes on', () => {
    const err = gatewayErrorFromGrpc(serviceError(status.INVALID_ARGUMENT, 'bad row: 4111111111111111'));
    expect(err.message).not.toContain('4111111111111111');
  });

  it('turns something that is not a gRPC error into an internal error and keeps it as the cause', () => {
    const bug = new TypeError('cannot read properties of undefined');
    const err = gatewayErrorFromGrpc(bug);
    expect(err.code).toBe('INTERNAL_SERVER_ERROR');
    expect(err.message).toBe('internal error');
    expect(err.cause).toBe(bug);
  });
});
