import { status } from '@grpc/grpc-js';
import { ERROR_CODES, ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { STATUS_BY_CODE, toServiceError } from './status-map';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const l: Logger & { lines: string[] } = {
    lines,
    debug: (m, meta) => lines.push(`${m} ${JSON.stringify(meta)}`),
    info: (m, meta) => lines.push(`${m} ${JSON.stringify(meta)}`),
    warn: (m, meta) => lines.push(`${m} ${JSON.stringify(meta)}`),
    error: (m, meta) => lines.push(`${m} ${JSON.stringify(meta)}`),
    child: () => l,
  };
  return l;
}

describe('toServiceError', () => {
  it('maps every error code to a gRPC status', () => {
    for (const code of ERROR_CODES) expect(STATUS_BY_CODE[code]).toBeDefined();
    expect(STATUS_BY_CODE[ErrorCode.INVALID_JOB_DEFINITION]).toBe(status.INVALID_ARGUMENT);
    expect(STATUS_BY_CODE[ErrorCode.NOT_FOUND]).toBe(status.NOT_FOUND);
  });

  it('passes a known error through with its code in trailing metadata', () => {
    const e = toServiceError(new StrongroomError(ErrorCode.NOT_FOUND, 'run r1 not found'), recordingLogger(), 'GetRun');
    expect(e).toMatchObject({ code: status.NOT_FOUND, details: 'run r1 not found' });
    expect(e.metadata?.get('x-strongroom-error-code')).toEqual(['NOT_FOUND']);
  });

  it('hides unknown errors from the caller and logs them', () => {
    const log = recordingLogger();
    const e = toServiceError(new Error('relation "jobs" does not exist at character 15'), log, 'ListJobs');
    expect(e).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
    expect(log.lines.join('\n')).toContain('does not exist at character 15');
  });

  it('reports a lost database as UNAVAILABLE (retryable), by SQLSTATE', () => {
    const e = toServiceError(
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      recordingLogger(),
      'RunJob',
    );
    expect(e.code).toBe(status.UNAVAILABLE);
    expect(e.details).not.toContain('administrator');
  });
});
