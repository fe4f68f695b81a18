// Resolvers: thin translations between GraphQL arguments and engine calls. Parents are the generated
// proto objects (Job, Run, …) whose camelCase fields match the schema, so most fields need no code;
// the few below turn proto defaults ('' for "no value") into null and build connections.
import { type Job, type Reconciliation, type Run, type RunSla, RunStatus, SlaStatus } from '@strongroom/contract';
import { rootFieldsFor, withAuthorization } from '../auth/authorization';
import { type GatewayContext } from '../context';
import { badUserInput } from '../errors/gateway-error';
import { type Connection, pageRequest, toConnection } from './connection';
import { DateTimeScalar, LongScalar } from './scalars';
import { operationsMutations, operationsQueries, operationsTypes } from './operations-resolvers';

interface ConnectionArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

interface RunsArgs extends ConnectionArgs {
  readonly status?: RunStatus | null;
}

/** GraphQL RunStatus ↔ proto RunStatus (internal enum values: arguments arrive as proto numbers). */
export const RUN_STATUS_VALUES = Object.freeze({
  PENDING: RunStatus.RUN_STATUS_PENDING,
  RUNNING: RunStatus.RUN_STATUS_RUNNING,
  PAUSED: RunStatus.RUN_STATUS_PAUSED,
  SUCCEEDED: RunStatus.RUN_STATUS_SUCCEEDED,
  FAILED: RunStatus.RUN_STATUS_FAILED,
  CANCELLED: RunStatus.RUN_STATUS_CANCELLED,
});

/** GraphQL SlaStatus ↔ proto SlaStatus. */
export const SLA_STATUS_VALUES = Object.freeze({
  NONE: SlaStatus.SLA_STATUS_NONE,
  ON_TRACK: SlaStatus.SLA_STATUS_ON_TRACK,
  AT_RISK: SlaStatus.SLA_STATUS_AT_RISK,
  BREACHED: SlaStatus.SLA_STATUS_BREACHED,
});

const NO_SLA: RunSla = {
  status: SlaStatus.SLA_STATUS_NONE,
  deadline: undefined,
  projectedFinish: undefined,
  errorRate: 0,
  maxErrorRate: 0,
  hasMaxErrorRate: false,
  reason: 'the job has no SLA',
};

const MAX_ID_LENGTH = 128;

/** Ids are opaque to the gateway; it only refuses what cannot be one before calling the engine. */
function requireId(value: string, name: string): string {
  if (value.trim() === '' || value.length > MAX_ID_LENGTH) {
    throw badUserInput(`"${name}" must be a non-empty id of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

const orNull = (value: string): string | null => (value === '' ? null : value);

async function listRuns(ctx: GatewayContext, jobId: string, args: RunsArgs): Promise<Connection<Run>> {
  const page = pageRequest('runs', args.first, args.after);
  const res = await ctx.engine.listRuns({
    jobId,
    status: args.status ?? RunStatus.RUN_STATUS_UNSPECIFIED,
    pageSize: page.pageSize,
    pageToken: page.pageToken,
  });
  return toConnection(page, res.runs, res.nextPageToken);
}

const rootResolvers = {
  Query: {
    me: (_: unknown, __: unknown, ctx: GatewayContext) => ({
      subject: ctx.actor.sub,
      roles: ctx.actor.roles,
      may: rootFieldsFor(ctx.actor.roles),
    }),
    jobs: async (_: unknown, args: ConnectionArgs, ctx: GatewayContext): Promise<Connection<Job>> => {
      const page = pageRequest('jobs', args.first, args.after);
      const res = await ctx.engine.listJobs({ pageSize: page.pageSize, pageToken: page.pageToken, jobIds: [] });
      return toConnection(page, res.jobs, res.nextPageToken);
    },
    job: (_: unknown, args: { id: string }, ctx: GatewayContext): Promise<Job> =>
      ctx.engine.getJob(requireId(args.id, 'id')),
    runs: (_: unknown, args: RunsArgs & { jobId?: string | null }, ctx: GatewayContext): Promise<Connection<Run>> =>
      listRuns(ctx, args.jobId == null ? '' : requireId(args.jobId, 'jobId'), args),
    run: (_: unknown, args: { id: string }, ctx: GatewayContext): Promise<Run> =>
      ctx.engine.getRun(requireId(args.id, 'id')),
    ...operationsQueries,
  },

  Mutation: {
    createJob: async (
      _: unknown,
      args: { definition: string; baseDir?: string | null },
      ctx: GatewayContext,
    ): Promise<{ job: Job; created: boolean }> => {
      if (args.definition.trim() === '') throw badUserInput('"definition" must not be empty');
      const result = await ctx.engine.createJob({ definition: args.definition, baseDir: args.baseDir ?? '' });
      ctx.logger.info('job:submitted', { jobId: result.job.id, version: result.job.version, created: result.created });
      return result;
    },
    runJob: async (
      _: unknown,
      args: { jobId: string; file?: string | null },
      ctx: GatewayContext,
    ): Promise<{ run: Run; existing: boolean }> => {
      const result = await ctx.engine.runJob(requireId(args.jobId, 'jobId'), args.file ?? undefined);
      ctx.logger.info('run:requested', { jobId: args.jobId, runId: result.run.id, existing: result.existing });
      return result;
    },
    ...operationsMutations,
  },

  Subscription: {
    runProgress: {
      subscribe: (_: unknown, args: { id: string }, ctx: GatewayContext) => {
        const stream = ctx.engine.watchRun(requireId(args.id, 'id'));
        return {
          [Symbol.asyncIterator]: () => ({
            next: async () => {
              const r = await stream.next();
              return r.done ? r : { value: { runProgress: r.value }, done: false };
            },
            return: () => stream.return?.() ?? Promise.resolve({ value: undefined, done: true }),
          }),
        };
      },
    },
  },
};

const typeResolvers = {
  DateTime: DateTimeScalar,
  Long: LongScalar,
  RunStatus: RUN_STATUS_VALUES,
  SlaStatus: SLA_STATUS_VALUES,

  Job: {
    runs: (job: Job, args: RunsArgs, ctx: GatewayContext): Promise<Connection<Run>> => listRuns(ctx, job.id, args),
  },

  Run: {
    job: (run: Run, _: unknown, ctx: GatewayContext): Promise<Job> => ctx.engine.getJob(run.jobId),
    errorCode: (run: Run): string | null => orNull(run.errorCode),
    errorMessage: (run: Run): string | null => orNull(run.errorMessage),
    statusReason: (run: Run): string | null => orNull(run.statusReason),
    throughput: async (run: Run, _: unknown, ctx: GatewayContext) =>
      (await ctx.services.getRunThroughput({ runId: run.id })).points,
    // A rate over a zero-length interval can come out as NaN/Infinity; GraphQL Float cannot carry it.
    recordsPerSecond: (run: Run): number => (Number.isFinite(run.recordsPerSecond) ? run.recordsPerSecond : 0),
    // an engine older than the SLA field sends none
    sla: (run: Run): RunSla => run.sla ?? NO_SLA,
  },

  RunSla: {
    maxErrorRate: (s: RunSla): number | null => (s.hasMaxErrorRate ? s.maxErrorRate : null),
    errorRate: (s: RunSla): number => (Number.isFinite(s.errorRate) ? s.errorRate : 0),
  },

  Reconciliation: {
    reason: (r: Reconciliation): string | null => orNull(r.reason),
  },
  ...operationsTypes,
};

/** All resolvers, root fields wrapped in the authorization policy (deny by default). */
export function createResolvers() {
  return { ...typeResolvers, ...withAuthorization(rootResolvers) };
}
