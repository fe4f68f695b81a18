import { type UntypedHandleCall } from '@grpc/grpc-js';
import { type OpsServiceServer } from '@strongroom/contract';
import { type DataSource } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type BreakerRegistry } from '@strongroom/resilience';
import { unary } from './job-service';

/** OpsService: the live state of every breaker, with the last transition recorded in the database. */
export function opsServiceHandlers(deps: { ds: DataSource; breakers: BreakerRegistry; logger: Logger }): OpsServiceServer & Record<string, UntypedHandleCall> {
  return {
    listBreakers: unary(deps.logger, 'ListBreakers', async () => {
      const recorded: { name: string; last_transition_at: Date; failure_count: number }[] = await deps.ds
        .query('SELECT name, last_transition_at, failure_count FROM circuit_breaker_states')
        .catch(() => []); // the database may be the dependency that is down: answer from memory
      return {
        breakers: deps.breakers.list().map((b) => {
          const r = recorded.find((x) => x.name === b.name);
          return { name: b.name, state: b.state, lastTransitionAt: r?.last_transition_at ?? undefined, failureCount: r?.failure_count ?? 0 };
        }),
      };
    }),
  };
}
