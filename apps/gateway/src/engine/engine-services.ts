// The engine's other services for one GraphQL request (dead letters, audit, breakers, compliance, run
// control), through the same call wrapper as JobService: deadline, correlation id, actor, breaker, one
// error mapping. Each method is the proto request → proto response; resolvers shape the result.
import {
  type AuditServiceClient,
  type ComplianceServiceClient,
  type DeadLetterServiceClient,
  type JobServiceClient,
  type OpsServiceClient,
} from '@strongroom/contract';
import { type Logger } from '@strongroom/logging';
import { type EngineCallContext, type EngineClientOptions, makeUnary } from './engine-client';

export interface EngineClients {
  readonly jobs: JobServiceClient;
  readonly deadLetters: DeadLetterServiceClient;
  readonly audit: AuditServiceClient;
  readonly ops: OpsServiceClient;
  readonly compliance: ComplianceServiceClient;
}

type Req<F> = F extends (req: infer R, ...rest: never[]) => unknown ? R : never;
type Res<F> = F extends (req: never, md: never, opts: never, cb: (e: never, r: infer R) => void) => unknown ? R : never;

export function createEngineServices(
  clients: EngineClients,
  options: EngineClientOptions,
  call: EngineCallContext,
  logger: Logger,
) {
  const unary = makeUnary(
    options,
    call,
    logger.child({ component: 'engine-client', correlationId: call.correlationId }),
  );
  const bind =
    <C extends object, K extends keyof C & string>(client: C, method: K, name: string) =>
    (request: Req<C[K]>): Promise<Res<C[K]>> =>
      unary(name, (client[method] as unknown as (...a: unknown[]) => never).bind(client) as never, request) as Promise<
        Res<C[K]>
      >;
  return {
    pauseRun: bind(clients.jobs, 'pauseRun', 'PauseRun'),
    resumeRun: bind(clients.jobs, 'resumeRun', 'ResumeRun'),
    cancelRun: bind(clients.jobs, 'cancelRun', 'CancelRun'),
    listDeadLetters: bind(clients.deadLetters, 'listDeadLetters', 'ListDeadLetters'),
    countDeadLetters: bind(clients.deadLetters, 'countDeadLetters', 'CountDeadLetters'),
    replayDeadLetters: bind(clients.deadLetters, 'replayDeadLetters', 'ReplayDeadLetters'),
    discardDeadLetters: bind(clients.deadLetters, 'discardDeadLetters', 'DiscardDeadLetters'),
    listAuditEntries: bind(clients.audit, 'listEntries', 'ListEntries'),
    verifyAudit: bind(clients.audit, 'verify', 'Verify'),
    getChainStatus: bind(clients.audit, 'getChainStatus', 'GetChainStatus'),
    listBreakers: bind(clients.ops, 'listBreakers', 'ListBreakers'),
    listReplicas: bind(clients.ops, 'listReplicas', 'ListReplicas'),
    listRunPartitions: bind(clients.jobs, 'listRunPartitions', 'ListRunPartitions'),
    getRunThroughput: bind(clients.jobs, 'getRunThroughput', 'GetRunThroughput'),
    listAlerts: bind(clients.compliance, 'listAlerts', 'ListAlerts'),
    transitionAlert: bind(clients.compliance, 'transitionAlert', 'TransitionAlert'),
    listLegalHolds: bind(clients.compliance, 'listLegalHolds', 'ListLegalHolds'),
    placeLegalHold: bind(clients.compliance, 'placeLegalHold', 'PlaceLegalHold'),
    releaseLegalHold: bind(clients.compliance, 'releaseLegalHold', 'ReleaseLegalHold'),
    getReport: bind(clients.compliance, 'getReport', 'GetReport'),
    purgeExpired: bind(clients.compliance, 'purgeExpired', 'PurgeExpired'),
    rotateFieldKeys: bind(clients.compliance, 'rotateFieldKeys', 'RotateFieldKeys'),
    getKeyRotation: bind(clients.compliance, 'getKeyRotation', 'GetKeyRotation'),
    listApprovals: bind(clients.compliance, 'listApprovals', 'ListApprovals'),
    decideApproval: bind(clients.compliance, 'decideApproval', 'DecideApproval'),
    revealValue: bind(clients.compliance, 'revealValue', 'RevealValue'),
  };
}

export type EngineServices = ReturnType<typeof createEngineServices>;
