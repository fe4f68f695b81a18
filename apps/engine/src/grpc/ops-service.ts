import { type UntypedHandleCall } from '@grpc/grpc-js';
import { type OpsServiceServer } from '@strongroom/contract';
import { type DataSource } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type Breaker, type BreakerRegistry } from '@strongroom/resilience';
import { unary } from './call-scope';

/** How long ListBreakers waits for the recorded transitions before answering from memory alone. */
const RECORDED_BUDGET_MS = 250;

/**
 * OpsService: the live state of every breaker. Answered from memory first: it must answer while the
 * database is the dependency that is down. The last transition recorded before this process started is
 * read from circuit_breaker_states only while the database breaker is closed, and only briefly.
 */
export function opsServiceHandlers(deps: {
  ds: DataSource;
  breakers: BreakerRegistry;
  db: Breaker;
  logger: Logger;
}): OpsServiceServer & Record<string, UntypedHandleCall> {
  return {
    listBreakers: unary(
      { logger: deps.logger },
      'ListBreakers',
      async () => {
        const live = deps.breakers.list();
        const recorded: { name: string; last_transition_at: Date; failure_count: number }[] =
          deps.db.state === 'CLOSED' && live.some((b) => !b.lastTransition)
            ? await Promise.race([
                deps.db
                  .call(() =>
                    deps.ds.query('SELECT name, last_transition_at, failure_count FROM circuit_breaker_states'),
                  )
                  .catch(() => []),
                new Promise<[]>((resolve) => setTimeout(() => resolve([]), RECORDED_BUDGET_MS).unref()), // a stalled link must not stall this answer
              ])
            : [];
        return {
          breakers: live.map((b) => {
            const r = recorded.find((x) => x.name === b.name);
            return {
              name: b.name,
              state: b.state,
              lastTransitionAt: b.lastTransition?.at ?? r?.last_transition_at ?? undefined,
              failureCount: b.lastTransition?.failures ?? r?.failure_count ?? 0,
            };
          }),
        };
      },
      { database: false },
    ),
  };
}
