import { ErrorCode, StrongroomError, coerceError, isRetryablePgError } from './index';

describe('coerceError', () => {
  it('keeps a StrongroomError as it is', () => {
    const e = new StrongroomError(ErrorCode.NOT_FOUND, 'run r1 not found');
    expect(coerceError(e)).toBe(e);
  });

  it('turns an unknown value into INTERNAL with a generic message and keeps the cause', () => {
    const raw = new Error('relation "secret_table" does not exist');
    const e = coerceError(raw);
    expect(e.code).toBe(ErrorCode.INTERNAL);
    expect(e.message).toBe('internal error');
    expect(e.cause).toBe(raw);
    expect(e.retryable).toBe(false);
  });

  it('classifies PostgreSQL errors by SQLSTATE, not by message', () => {
    const deadlock = Object.assign(new Error('whatever text'), { code: '40P01' });
    expect(coerceError(deadlock)).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true });
    const unique = Object.assign(new Error('deadlock detected'), { code: '23505' });
    expect(coerceError(unique).code).toBe(ErrorCode.INTERNAL);
    expect(isRetryablePgError(Object.assign(new Error(''), { code: '08006' }))).toBe(true);
    expect(isRetryablePgError(Object.assign(new Error(''), { code: '57P01' }))).toBe(true);
    // a statement cut by statement_timeout, a session ended for idling in its transaction: try again
    expect(isRetryablePgError(Object.assign(new Error(''), { code: '57014' }))).toBe(true);
    expect(isRetryablePgError(Object.assign(new Error(''), { code: '25P03' }))).toBe(true);
    expect(isRetryablePgError(Object.assign(new Error(''), { code: '22P02' }))).toBe(false);
  });

  it('treats a refused connection as retryable database unavailability', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(coerceError(refused)).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true });
  });
});
