import { type Deadline } from '@grpc/grpc-js';
import { ErrorCode, StrongroomError } from '@strongroom/errors';

/**
 * Deadline policy for unary calls: every call must carry a deadline (a caller without one could wait
 * forever on a stuck dependency), and the engine works on a call for at most `maxMs` whatever the
 * caller asked for. Set once at start from the engine config.
 */
const policy = { maxMs: 300_000 };

export function configureDeadlines(maxMs: number): void {
  policy.maxMs = maxMs;
}

/** Milliseconds this call may take, or a precise INVALID_ARGUMENT when the caller set no deadline. */
export function callBudgetMs(deadline: Deadline): number {
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  if (!Number.isFinite(at))
    throw new StrongroomError(
      ErrorCode.INVALID_ARGUMENT,
      'every call needs a deadline (set grpc-timeout / the deadline call option)',
    );
  return Math.max(0, Math.min(at - Date.now(), policy.maxMs));
}

/** Runs `work`, answering DEADLINE_EXCEEDED if it outlasts the budget (the work itself is not interrupted). */
export function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StrongroomError(ErrorCode.DEADLINE_EXCEEDED, `the call took longer than ${budgetMs} ms`, {
            retryable: true,
          }),
        ),
      budgetMs,
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
