// The whole gateway over real HTTP and real gRPC, in front of a scripted JobService on port 0 (a
// unit-level stand-in for the engine: it checks the gateway's edges — auth, metadata, deadlines,
// error mapping, paging, HTTP limits; gateway.queries.int.test.ts runs against the real engine).
import { Metadata, Server, ServerCredentials, type ServiceError, status } from '@grpc/grpc-js';
import { type Job, JobServiceService, type JobServiceServer, type Run, RunStatus } from '@strongroom/contract';
import { silentLogger } from '@strongroom/logging';
import { signDevToken } from '@strongroom/auth';
import { makeTestIdp } from '@strongroom/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './config';
import { ERROR_CODE_METADATA_KEY } from '@strongroom/errors';
import { type RunningGateway, startGateway } from './server';

const SECRET = 'unit-test-secret-of-at-least-32-chars';
const token = (sub: string, roles: string[]) => signDevToken({ sub, roles, ttlSeconds: 300 }, SECRET);

interface Seen {
  method: string;
  request: unknown;
  correlationId: unknown;
  actor: unknown;
  deadlineMs: number;
}

const job = (id: string): Job => ({
  id,
  name: `job-${id}`,
  version: 1,
  definitionJson: '{}',
  createdAt: new Date('2026-01-31T06:00:00.000Z'),
  updatedAt: undefined,
  sourceKind: 'csv',
  sinkTable: 'transactions',
});

const run: Run = {
  id: 'r1',
  jobId: 'j1',
  jobVersion: 1,
  jobName: 'job-j1',
  status: RunStatus.RUN_STATUS_RUNNING,
  read: 6,
  loaded: 5,
  identifiersTokenized: 0,
  inSink: 0,
  deadLettered: 1,
  filtered: 0,
  filteredByReason: [],
  sourcePath: '/data/x.csv',
  sourceSha256: 'ab'.repeat(32),
  sourceBytes: 5_000_000_000,
  bytesRead: 10,
  batchesCommitted: 1,
  createdAt: new Date('2026-01-31T06:00:00.000Z'),
  startedAt: undefined,
  finishedAt: undefined,
  errorCode: '',
  errorMessage: '',
  statusReason: '',
  attempts: 1,
  recordsPerSecond: 12.5,
  reconciliation: {
    reconciled: true,
    reason: '',
    sourceTotals: [{ currency: 'EUR', count: 5, amount: '1234.50' }],
    sinkTotals: [],
  },
  sla: undefined,
};

function failure(code: status, details: string, strongroomCode?: string): Partial<ServiceError> {
  const metadata = new Metadata();
  if (strongroomCode) metadata.set(ERROR_CODE_METADATA_KEY, strongroomCode);
  return { code, details, metadata };
}

describe('startGateway', () => {
  const seen: Seen[] = [];
  let engine: Server;
  let gateway: RunningGateway;

  const subjectOf = (authorization: unknown) => {
    const payload =
      String(authorization ?? '')
        .replace(/^Bearer /, '')
        .split('.')[1] ?? '';
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8') || '{}') as { sub?: string }).sub;
    return sub === undefined ? undefined : `user:${sub}`;
  };
  const record = (method: string, call: { request: unknown; metadata: Metadata; getDeadline(): Date | number }) => {
    const deadline = call.getDeadline();
    seen.push({
      method,
      request: call.request,
      correlationId: call.metadata.get('x-correlation-id')[0],
      // the caller's own token is forwarded; the engine takes the actor from it (sub), nothing else
      actor: subjectOf(call.metadata.get('authorization')[0]),
      deadlineMs: (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now(),
    });
  };

  const impl: JobServiceServer = {
    createJob: (call, cb) => (record('CreateJob', call), cb(null, { job: job('j1'), created: true })),
    getJob: (call, cb) => (record('GetJob', call), cb(null, { job: job(call.request.jobId) })),
    listJobs: (call, cb) => {
      record('ListJobs', call);
      if (call.request.pageToken === '') cb(null, { jobs: [job('j1'), job('j2')], nextPageToken: 'p2' });
      else cb(null, { jobs: [job('j3')], nextPageToken: '' });
    },
    runJob: (call, cb) => (record('RunJob', call), cb(null, { run, existing: false })),
    pauseRun: (call, cb) => (record('PauseRun', call), cb(null, { run })),
    resumeRun: (call, cb) => (record('ResumeRun', call), cb(null, { run })),
    getRun: (call, cb) => {
      record('GetRun', call);
      const id = call.request.runId;
      if (id === 'r1') cb(null, { run });
      else if (id === 'boom') cb(failure(status.INTERNAL, 'relation "secret_table" does not exist'));
      else if (id !== 'slow') cb(failure(status.NOT_FOUND, `run ${id} not found`, 'NOT_FOUND'));
      // 'slow' never answers: the gateway's deadline has to end the call.
    },
    listRuns: (call, cb) => (record('ListRuns', call), cb(null, { runs: [run], nextPageToken: '' })),
    cancelRun: (_call, cb) => cb(failure(status.UNIMPLEMENTED, 'no')),
    watchRun: (call) => call.end(),
    listPublishedTransactions: (_call, cb) => cb(failure(status.UNIMPLEMENTED, 'no')),
    listRunPartitions: (_call, cb) => cb(failure(status.UNIMPLEMENTED, 'no')),
    getRunThroughput: (_call, cb) => cb(failure(status.UNIMPLEMENTED, 'no')),
  };

  async function startWith(env: Record<string, string>): Promise<RunningGateway> {
    const config = loadConfig({
      GATEWAY_PORT: '0',
      GATEWAY_JWT_SECRET: SECRET,
      GATEWAY_ENGINE_DEADLINE_MS: '300',
      ...env,
    });
    return startGateway(config, silentLogger());
  }

  beforeAll(async () => {
    engine = new Server();
    engine.addService(JobServiceService, impl);
    const port = await new Promise<number>((resolve, reject) =>
      engine.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    gateway = await startWith({ STRONGROOM_ENGINE: `127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await gateway.stop();
    engine.forceShutdown();
  });

  beforeEach(() => {
    seen.length = 0;
  });

  interface Body<T> {
    data?: T | null;
    errors?: { message: string; path?: string[]; extensions: Record<string, unknown> }[];
  }
  interface JobsPage {
    jobs: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  }

  async function gql<T = Record<string, unknown>>(
    query: string,
    init: { bearer?: string; headers?: Record<string, string> } = {},
  ) {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}),
        ...init.headers,
      },
      body: JSON.stringify({ query }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Body<T> };
  }

  it('listens on the port it reports and serves GraphQL at /graphql', () => {
    expect(gateway.port).toBeGreaterThan(0);
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}/graphql`);
  });

  it('fetches a run once per request and forwards correlation id, actor and a deadline', async () => {
    const res = await gql(
      `{ a: run(id: "r1") { id status read loaded deadLettered sourceBytes createdAt startedAt errorCode
           reconciliation { reconciled reason sourceTotals { currency count amount } } }
         b: run(id: "r1") { id } }`,
      { bearer: token('alice', ['viewer']), headers: { 'x-correlation-id': 'corr-123' } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('corr-123');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.a).toEqual({
      id: 'r1',
      status: 'RUNNING',
      read: 6,
      loaded: 5,
      deadLettered: 1,
      sourceBytes: 5_000_000_000,
      createdAt: '2026-01-31T06:00:00.000Z',
      startedAt: null,
      errorCode: null,
      reconciliation: {
        reconciled: true,
        reason: null,
        sourceTotals: [{ currency: 'EUR', count: 5, amount: '1234.50' }],
      },
    });
    expect(seen.filter((s) => s.method === 'GetRun')).toHaveLength(1);
    expect(seen[0]).toMatchObject({ correlationId: 'corr-123', actor: 'user:alice' });
    expect(seen[0]?.deadlineMs).toBeGreaterThan(0);
    expect(seen[0]?.deadlineMs).toBeLessThanOrEqual(300);
  });

  it('refuses a request without a valid token with HTTP 401 UNAUTHENTICATED before calling the engine', async () => {
    for (const bearer of [
      undefined,
      'x.y.z',
      signDevToken({ sub: 'a', roles: ['admin'], ttlSeconds: 60 }, 'wrong-secret-wrong-secret-wrong-secret'),
    ]) {
      const res = await gql('{ run(id: "r1") { id } }', bearer === undefined ? {} : { bearer });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    }
    expect(seen).toHaveLength(0);
  });

  it('refuses runJob to a viewer with FORBIDDEN and lets an operator run a job', async () => {
    const denied = await gql('mutation { runJob(jobId: "j1") { run { id } existing } }', {
      bearer: token('v', ['viewer']),
    });
    expect(denied.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(seen).toHaveLength(0);
    const allowed = await gql('mutation { runJob(jobId: "j1") { run { id } existing } }', {
      bearer: token('o', ['operator']),
    });
    expect(allowed.body.data?.runJob).toEqual({ run: { id: 'r1' }, existing: false });
    expect(seen).toMatchObject([{ method: 'RunJob', request: { jobId: 'j1' }, actor: 'user:o' }]);
  });

  it('maps the engine’s NOT_FOUND with its Strongroom code and masks an internal failure', async () => {
    const viewer = token('v', ['viewer']);
    const missing = await gql('{ run(id: "nope") { id } }', { bearer: viewer });
    expect(missing.body.errors?.[0]).toMatchObject({
      message: 'run nope not found',
      path: ['run'],
      extensions: { code: 'NOT_FOUND', strongroomCode: 'NOT_FOUND' },
    });
    const boom = await gql('{ run(id: "boom") { id } }', { bearer: viewer });
    expect(boom.body.errors?.[0]).toMatchObject({
      message: 'internal error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(boom.text).not.toMatch(/secret_table|stack|at /);
  });

  it('reports ENGINE_TIMEOUT when the engine does not answer within the deadline', async () => {
    const res = await gql('{ run(id: "slow") { id } }', { bearer: token('v', ['viewer']) });
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'ENGINE_TIMEOUT' });
  });

  it('pages jobs through the engine’s page tokens', async () => {
    const q = (after: string) =>
      `{ jobs(first: 2${after}) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    const page1 = await gql<JobsPage>(q(''), { bearer: token('v', ['viewer']) });
    expect(page1.body.data?.jobs.edges.map((e) => e.node.id)).toEqual(['j1', 'j2']);
    expect(page1.body.data?.jobs.pageInfo.hasNextPage).toBe(true);
    const page2 = await gql<JobsPage>(q(`, after: "${page1.body.data?.jobs.pageInfo.endCursor}"`), {
      bearer: token('v', ['viewer']),
    });
    expect(page2.body.data?.jobs.edges.map((e) => e.node.id)).toEqual(['j3']);
    expect(page2.body.data?.jobs.pageInfo.hasNextPage).toBe(false);
    expect(seen.map((s) => s.request)).toEqual([
      { pageSize: 2, pageToken: '', jobIds: [] },
      { pageSize: 2, pageToken: 'p2', jobIds: [] },
    ]);
  });

  it('refuses a body over 1 MiB with HTTP 413 and a simple cross-site POST as CSRF', async () => {
    const big = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ jobs { edges { cursor } } }', variables: { pad: 'x'.repeat(1024 * 1024) } }),
    });
    expect(big.status).toBe(413);
    await big.text();
    const csrf = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"{ jobs { edges { cursor } } }"}',
    });
    expect(csrf.status).toBe(400);
    await csrf.text();
    expect(seen).toHaveLength(0);
  });

  it('turns introspection off in production', async () => {
    const idp = makeTestIdp(mkdtempSync(path.join(tmpdir(), 'strongroom-idp-')));
    const prod = await startWith({
      NODE_ENV: 'production',
      STRONGROOM_ENGINE: '127.0.0.1:1',
      GATEWAY_JWT_SECRET: '',
      ...idp.env,
    });
    try {
      const res = await fetch(prod.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${idp.token('v', ['viewer'])}` },
        body: JSON.stringify({ query: '{ __schema { types { name } } }' }),
      });
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await prod.stop();
    }
  });
});
