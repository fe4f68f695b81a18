import { type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { METADATA_KEYS } from '@strongroom/contract';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger, newCorrelationId } from '@strongroom/logging';
import { isDatabaseOutage } from '@strongroom/pipeline';
import { BreakerOpenError, POSTGRES_POLICY, type Breaker } from '@strongroom/resilience';
import { callBudgetMs, withinBudget } from './deadlines';
import { toServiceError } from './status-map';

/**
 * The engine's one gRPC call scope: who is calling (for audit entries), a logger scoped to the call
 * (method, correlation id, actor), the deadline every unary call must carry, the database breaker its
 * work goes through, and the one mapping of errors to status. Every service's handlers are built on it.
 */

/** Who is calling, for audit entries: `user:<sub>` as the gateway forwards it, else the peer tool. */
export function actorOf(call: { metadata: { get(k: string): unknown[] } }): string {
  const actor = call.metadata.get(METADATA_KEYS.actor)[0];
  return typeof actor === 'string' && /^[\x21-\x7e]{1,256}$/.test(actor) ? actor : 'anonymous';
}

export function callLogger(logger: Logger, call: { metadata: { get(k: string): unknown[] } }, method: string): Logger {
  const cid = call.metadata.get(METADATA_KEYS.correlationId)[0];
  return logger.child({
    component: 'grpc',
    method,
    correlationId: typeof cid === 'string' ? cid : newCorrelationId(),
    actor: actorOf(call),
  });
}

/** What every unary handler of a service shares: its logger and the database breaker its work goes through. */
export interface CallScope {
  logger: Logger;
  /** The postgres breaker. While it is open, calls that need the database fail at once (UNAVAILABLE + retry hint). */
  db?: Breaker;
}

/**
 * Wraps a unary handler: one place that enforces the deadline, sends the work through the database
 * breaker (unless `database: false`: the call must answer while the database is away), and maps errors
 * to status.
 */
export function unary<Req, Res>(
  scope: CallScope,
  method: string,
  fn: (req: Req, log: Logger, actor: string) => Promise<Res>,
  options: { database?: boolean } = {},
) {
  const { logger, db } = scope;
  const guarded =
    db && options.database !== false
      ? (work: () => Promise<Res>) => db.call(work).catch((err: unknown) => asUnavailable(err, db))
      : (work: () => Promise<Res>) => work();
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const log = callLogger(logger, call, method);
    Promise.resolve()
      .then(() => {
        const budget = callBudgetMs(call.getDeadline()); // no deadline: refused before any work
        return withinBudget(
          guarded(() => fn(call.request, log, actorOf(call))),
          budget,
        );
      })
      .then(
        (res) => callback(null, res),
        (err) => callback(toServiceError(err, log, method)),
      );
  };
}

/** A database outage (open breaker, lost or silent link) becomes a retryable DATABASE_UNAVAILABLE with a retry hint. */
function asUnavailable(err: unknown, db: Breaker): never {
  if (!isDatabaseOutage(err)) throw err;
  const open = err instanceof BreakerOpenError;
  throw new StrongroomError(
    ErrorCode.DATABASE_UNAVAILABLE,
    open
      ? `database unavailable (circuit breaker ${db.name} is open); retry in ${Math.ceil(POSTGRES_POLICY.resetTimeoutMs / 1000)} s`
      : 'database unavailable',
    {
      retryable: true,
      cause: err,
      details: { retryAfterMs: POSTGRES_POLICY.resetTimeoutMs },
    },
  );
}

/** A required request field, or INVALID_ARGUMENT naming it. */
export function required(value: string, name: string): string {
  if (!value) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `${name} is required`);
  return value;
}
