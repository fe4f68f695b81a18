// The gateway's only way to the engine: the generated JobService client over gRPC, wrapped so that
// every call carries a deadline and the request's correlation id and actor, failures come back as
// GatewayErrors (mapped once, here), and reads are memoized for the lifetime of one GraphQL request.
import { type CallOptions, type ClientUnaryCall, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  type CreateJobRequest,
  type CreateJobResponse,
  type Job,
  type JobServiceClient,
  type ListJobsRequest,
  type ListJobsResponse,
  type ListRunsRequest,
  type ListRunsResponse,
  METADATA_KEYS,
  type Run,
  type RunJobResponse,
  deadlineIn,
} from '@strongroom/contract';
import { type Logger } from '@strongroom/logging';
import { BreakerOpenError, type Breaker } from '@strongroom/resilience';
import { GatewayError, gatewayErrorFromGrpc } from '../errors/gateway-error';

/** Who is calling and on behalf of which request; travels as gRPC metadata. */
export interface EngineCallContext {
  readonly correlationId: string;
  /** Authenticated subject (`sub` of the bearer token). */
  readonly actor: string;
  /**
   * The caller's own `Authorization: Bearer …` value, forwarded: the engine verifies it itself and records
   * its subject as the actor (it trusts no actor header).
   */
  readonly authorization?: string;
}

export interface EngineClientOptions {
  /** Deadline of every call, in ms from the moment it is made. */
  readonly deadlineMs: number;
  readonly logger: Logger;
  /** Breaker around the engine: while open, calls fail at once with ENGINE_UNAVAILABLE (no hanging). */
  readonly breaker?: Breaker;
}

/** Engine calls for one GraphQL request. Reads are memoized; writes are not. */
export interface RequestEngine {
  getJob(jobId: string): Promise<Job>;
  getRun(runId: string): Promise<Run>;
  listJobs(request: ListJobsRequest): Promise<ListJobsResponse>;
  listRuns(request: ListRunsRequest): Promise<ListRunsResponse>;
  createJob(request: CreateJobRequest): Promise<{ job: Job; created: boolean }>;
  runJob(jobId: string, file?: string): Promise<{ run: Run; existing: boolean }>;
  /** Live snapshots of a run (WatchRun stream) until it ends; returning from the iterator cancels the stream. */
  watchRun(runId: string): AsyncIterableIterator<Run>;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** The correlation id and the caller's credentials every engine call carries. */
function callMetadata(call: EngineCallContext): Metadata {
  const md = new Metadata();
  md.set(METADATA_KEYS.correlationId, call.correlationId);
  if (call.authorization) md.set('authorization', call.authorization);
  return md;
}

/** Job ids per ListJobs call when batching (the engine's page maximum is 500). */
const JOB_BATCH = 500;

/** A contract violation by the engine (a response without its payload): a bug, shown as internal. */
function missing(method: string, field: string): Error {
  return new Error(`engine ${method} response has no ${field}`);
}

/**
 * Builds the per-request engine facade over the process-wide `client` (one channel per process).
 * Memoization is by method and request, so `run(id)` asked for twice in one request costs one call,
 * and runs/jobs returned by list calls and mutations answer later `getRun`/`getJob` for the same id.
 */
export function createRequestEngine(
  client: JobServiceClient,
  options: EngineClientOptions,
  call: EngineCallContext,
): RequestEngine {
  const cache = new Map<string, Promise<unknown>>();
  const log = options.logger.child({ component: 'engine-client', correlationId: call.correlationId });

  const unary = makeUnary(options, call, log);

  function memo<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit !== undefined) return hit as Promise<T>;
    const promise = load();
    cache.set(key, promise);
    return promise;
  }

  const prime = (key: string, value: unknown): void => {
    if (!cache.has(key)) cache.set(key, Promise.resolve(value));
  };
  const primeJob = (job: Job): void => prime(`job:${job.id}`, job);
  const primeRun = (run: Run): void => prime(`run:${run.id}`, run);

  // DataLoader-style batching: the jobs asked for in one tick (e.g. `job` of every run on a page) are
  // fetched with one ListJobs(job_ids) call instead of one GetJob each; a single id uses GetJob, which
  // answers NOT_FOUND precisely.
  let pending: { jobId: string; resolve: (j: Job) => void; reject: (e: unknown) => void }[] = [];
  const flushJobs = (): void => {
    const batch = pending;
    pending = [];
    const ids = [...new Set(batch.map((b) => b.jobId))];
    const settle = (load: Promise<Map<string, Job>>) =>
      load.then(
        (found) => {
          for (const b of batch) {
            const job = found.get(b.jobId);
            if (job) b.resolve(job);
            else b.reject(new GatewayError('NOT_FOUND', `job ${b.jobId} not found`));
          }
        },
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      );
    if (ids.length === 1) {
      void unary('GetJob', client.getJob.bind(client), { jobId: ids[0] as string }).then(
        (res) => {
          if (res.job === undefined) throw missing('GetJob', 'job');
          const job = res.job;
          batch.forEach((b) => b.resolve(job));
        },
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      );
      return;
    }
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += JOB_BATCH) chunks.push(ids.slice(i, i + JOB_BATCH));
    void settle(
      Promise.all(
        chunks.map((chunk) =>
          unary('ListJobs', client.listJobs.bind(client), { jobIds: chunk, pageSize: chunk.length, pageToken: '' }),
        ),
      ).then((pages) => new Map(pages.flatMap((p) => p.jobs).map((j) => [j.id, j] as const))),
    );
  };
  const loadJob = (jobId: string): Promise<Job> =>
    new Promise<Job>((resolve, reject) => {
      if (!pending.length) queueMicrotask(() => setImmediate(flushJobs)); // after the resolvers of this tick asked
      pending.push({ jobId, resolve, reject });
    });

  return {
    getJob: (jobId) => memo(`job:${jobId}`, () => loadJob(jobId)),

    getRun: (runId) =>
      memo(`run:${runId}`, async () => {
        const res = await unary('GetRun', client.getRun.bind(client), { runId });
        if (res.run === undefined) throw missing('GetRun', 'run');
        return res.run;
      }),

    listJobs: (request) =>
      memo(`jobs:${JSON.stringify(request)}`, async () => {
        const res = await unary('ListJobs', client.listJobs.bind(client), request);
        res.jobs.forEach(primeJob);
        return res;
      }),

    listRuns: (request) =>
      memo(`runs:${JSON.stringify(request)}`, async () => {
        const res = await unary('ListRuns', client.listRuns.bind(client), request);
        res.runs.forEach(primeRun);
        return res;
      }),

    createJob: async (request) => {
      const res: CreateJobResponse = await unary('CreateJob', client.createJob.bind(client), request);
      if (res.job === undefined) throw missing('CreateJob', 'job');
      primeJob(res.job);
      return { job: res.job, created: res.created };
    },

    watchRun: (runId) => watchRunStream(client, callMetadata(call), runId, options),

    runJob: async (jobId, file) => {
      const res: RunJobResponse = await unary('RunJob', client.runJob.bind(client), { jobId, file: file ?? '' });
      if (res.run === undefined) throw missing('RunJob', 'run');
      primeRun(res.run);
      return { run: res.run, existing: res.existing };
    },
  };
}

/**
 * The one wrapper of every engine call: deadline, correlation id and actor in the metadata, the
 * engine breaker, and the gRPC status mapped once to a GatewayError.
 */
export function makeUnary(options: EngineClientOptions, call: EngineCallContext, log: Logger) {
  function unary<Req, Res>(name: string, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
    const started = performance.now();
    const raw = () =>
      new Promise<Res>((resolve, reject) => {
        method(request, callMetadata(call), { deadline: deadlineIn(options.deadlineMs) }, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      });
    return (options.breaker ? options.breaker.call(raw) : raw()).then(
      (response) => {
        log.debug('engine:answered', { method: name, ms: Math.round(performance.now() - started) });
        return response;
      },
      (error: unknown) => {
        const ms = Math.round(performance.now() - started);
        if (error instanceof BreakerOpenError) {
          log.debug('engine:breaker-open', { method: name, ms });
          throw new GatewayError('ENGINE_UNAVAILABLE', 'the engine is unavailable; retry shortly');
        }
        log.debug('engine:failed', { method: name, ms, grpcStatus: (error as ServiceError).code });
        throw gatewayErrorFromGrpc(error);
      },
    );
  }

  return unary;
}

/**
 * WatchRun as an async iterator of Run snapshots. No deadline (a run may take hours); the engine ends
 * the stream when the run ends; the consumer returning early (a client unsubscribing) cancels it. A
 * failure is mapped like any engine error. Snapshots are buffered (the engine sends at most 5/s).
 */
function watchRunStream(
  client: JobServiceClient,
  md: Metadata,
  runId: string,
  options: EngineClientOptions,
): AsyncIterableIterator<Run> {
  if (options.breaker && options.breaker.state === 'OPEN') {
    const refused: AsyncIterableIterator<Run> = {
      next: () => Promise.reject(new GatewayError('ENGINE_UNAVAILABLE', 'the engine is unavailable; retry shortly')),
      [Symbol.asyncIterator]: () => refused,
    };
    return refused;
  }
  const stream = client.watchRun({ runId }, md);
  const queue: Run[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  stream.on('data', (m: { run?: Run }) => {
    if (m.run) queue.push(m.run);
    notify();
  });
  stream.on('end', () => {
    done = true;
    notify();
  });
  stream.on('error', (err: ServiceError) => {
    if (err.code !== 1 /* CANCELLED: we asked for it */) failure = gatewayErrorFromGrpc(err);
    done = true;
    notify();
  });
  const iterator: AsyncIterableIterator<Run> = {
    async next(): Promise<IteratorResult<Run>> {
      for (;;) {
        const run = queue.shift();
        if (run) return { value: run, done: false };
        if (failure) throw failure;
        if (done) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return(): Promise<IteratorResult<Run>> {
      done = true;
      stream.cancel();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
