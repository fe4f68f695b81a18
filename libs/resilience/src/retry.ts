import { coerceError } from '@strongroom/errors';

export interface RetryPolicy {
  /** Total attempts including the first. Default 5. */
  attempts: number;
  /** First backoff ceiling, ms. Default 100. */
  baseMs: number;
  /** Backoff cap, ms. Default 5000. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 5000 };

/** Full-jitter exponential backoff: random in [0, min(max, base·2^attempt)). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt));
}

/**
 * Runs `fn`, retrying only errors that coerceError marks retryable (decided by SQLSTATE / errno,
 * never by message text). `beforeRetry` runs between attempts (e.g. to get a fresh connection).
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  beforeRetry?: (err: unknown, attempt: number) => Promise<void>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!coerceError(err).retryable || attempt + 1 >= policy.attempts) throw err;
      await new Promise((r) => setTimeout(r, backoffMs(policy, attempt)));
      await beforeRetry?.(err, attempt);
    }
  }
}
