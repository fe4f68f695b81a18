import { type UntypedHandleCall } from '@grpc/grpc-js';
import { type ListReplicasRequest, type OpsServiceServer, type ReportDenialsRequest } from '@strongroom/contract';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type DataSource } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type Breaker, type BreakerStatus } from '@strongroom/resilience';
import { type DenialLog } from '../audit/denial-log';
import { unary } from './call-scope';
import { listReplicas } from '../runs/replicas';

/** How long ListBreakers waits for the recorded transitions before answering from memory alone. */
const RECORDED_BUDGET_MS = 250;

/**
 * OpsService: the live state of every breaker. Answered from memory first: it must answer while the
 * database is the dependency that is down. The last transition recorded before this process started is
 * read from circuit_breaker_states only while the database breaker is closed, and only briefly.
 */
export function opsServiceHandlers(deps: {
  ds: DataSource;
  /** Every breaker of the engine: its main thread's and its run threads'. */
  breakers: () => readonly BreakerStatus[];
  db: Breaker;
  logger: Logger;
  denials: DenialLog;
  /** Partition lease (ms): a replica without a heartbeat for three of them is not live. */
  leaseTtlMs: number;
}): OpsServiceServer & Record<string, UntypedHandleCall> {
  return {
    listBreakers: unary(
      { logger: deps.logger },
      'ListBreakers',
      async () => {
        const live = deps.breakers();
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
    listReplicas: unary({ logger: deps.logger }, 'ListReplicas', async (req: ListReplicasRequest) => ({
      replicas: (await listReplicas(deps.ds, deps.leaseTtlMs, req.includeStopped)).map((r) => ({
        id: r.id,
        host: r.host,
        pid: r.pid,
        address: r.address ?? '',
        startedAt: r.startedAt,
        heartbeatAt: r.heartbeatAt,
        stoppedAt: r.stoppedAt ?? undefined,
        live: r.live,
        partitionsHeld: r.partitionsHeld,
        runsHeld: r.runsHeld,
      })),
    })),
    // the gateway's refusals join the engine's own in the next access:denied audit entry
    reportDenials: unary(
      { logger: deps.logger },
      'ReportDenials',
      async (req: ReportDenialsRequest, log) => {
        if (req.denials.length > MAX_REPORTED_KINDS)
          throw new StrongroomError(
            ErrorCode.INVALID_ARGUMENT,
            `a report holds at most ${MAX_REPORTED_KINDS} kinds of denial (got ${req.denials.length})`,
          );
        const now = new Date().toISOString();
        deps.denials.merge({
          denials: req.denials.map((d) => ({
            who: d.who,
            what: d.what,
            code: d.code,
            reason: d.reason,
            via: 'gateway',
            count: Math.max(0, Number(d.count)),
            first: d.first?.toISOString() ?? now,
            last: d.last?.toISOString() ?? now,
          })),
          dropped: Math.max(0, Number(req.dropped)),
        });
        log.debug('denials:reported', { kinds: req.denials.length, dropped: Number(req.dropped) });
        return {};
      },
      { database: false },
    ),
  };
}

const MAX_REPORTED_KINDS = 100;
