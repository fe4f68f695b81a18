/** SQLSTATE of a PostgreSQL error (node-postgres puts it in `code`), or undefined for other errors. */
export function pgErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Retryable by SQLSTATE, never by message text: serialization failure, deadlock, connection
 * exceptions (class 08), operator intervention such as admin shutdown (57P01..57P03) or a cancelled
 * statement (57014: statement_timeout), a session ended for idling in a transaction (25P03), and
 * insufficient resources (class 53).
 */
export function isRetryablePgError(err: unknown): boolean {
  const code = pgErrorCode(err);
  if (code === undefined) return false;
  if (code === '40001' || code === '40P01') return true;
  if (code.startsWith('08') || code.startsWith('53')) return true;
  return code === '57P01' || code === '57P02' || code === '57P03' || code === '57014' || code === '25P03';
}
