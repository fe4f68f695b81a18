// The gateway's edge (issue 16, item 7), production mode, real engine: requests without a valid token are
// limited per client address; graphql-ws gets the protections of HTTP (no introspection in production,
// the per-subject rate limit on every operation, a cap on live subscriptions per connection and per
// subject); and the gateway's own refusals (401, 403, 4403, 429) reach the audit chain through the engine.
import fs from 'node:fs';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { silentLogger } from '@strongroom/logging';
import {
  createAuditServiceClient,
  createIngestServiceClient,
  createJobServiceClient,
  type CreateJobRequest,
  type CreateJobResponse,
  type ListEntriesRequest,
  type ListEntriesResponse,
} from '@strongroom/contract';
import {
  createTestDatabase,
  IngestStream,
  makeTempDir,
  makeTestIdp,
  startEngineProcess,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

describe('the gateway edge (production mode, real engine)', () => {
  const dir = makeTempDir();
  const idp = makeTestIdp(dir);
  const OPERATOR = idp.token('olga', ['operator']);
  const VIEWER = idp.token('vic', ['viewer']);
  let db: TestDatabase;
  let engine: EngineProcess;
  let gateway: RunningGateway;
  let runId: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { ...idp.env, STRONGROOM_HOME: path.join(dir, 'home'), AUDIT_DENIALS_SECONDS: '1' },
    });
    // the gateway's own identity for reporting refusals: a token of the identity provider with the gateway role
    const serviceToken = path.join(dir, 'gateway.token');
    fs.writeFileSync(serviceToken, idp.token('strongroom-gateway', ['gateway'], 3600), { mode: 0o600 });
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        STRONGROOM_ENGINE: engine.address,
        ...idp.env,
        NODE_ENV: 'production',
        GATEWAY_RATE_LIMIT_PER_MINUTE: '30',
        GATEWAY_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE: '5',
        GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
        GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_SUBJECT: '3',
        GATEWAY_DENIALS_REPORT_SECONDS: '1',
        GATEWAY_SERVICE_TOKEN_FILE: serviceToken,
      }),
      silentLogger(),
    );
    // a run that stays RUNNING (an open ingest stream): its progress subscription stays live
    const token = idp.token('feeder', ['operator']);
    const jobs = createJobServiceClient({ address: engine.address, token });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: 'name: live-feed\nsource: { kind: grpc }\n',
      baseDir: '',
    });
    jobs.close();
    const ingest = createIngestServiceClient({ address: engine.address, token });
    const opened = await new IngestStream(ingest).ask({ open: { jobId: job.job?.id as string, streamId: 'live' } });
    runId = opened.opened?.run?.id as string;
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await gateway?.stop();
    await engine?.stop();
    await db?.drop();
  });

  const ws = (token: string) => {
    const c = createClient({
      url: gateway.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined, // a refused connection is what some tests expect
    });
    clients.push(c);
    return c;
  };
  /** Subscribes; resolves with the first answer (data or the refusal), leaving a live subscription open. */
  const firstAnswer = (c: Client, query: string, variables: Record<string, unknown> = {}) =>
    new Promise<{ data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | Error>(
      (resolve) => {
        c.subscribe(
          { query, variables },
          {
            next: (m) => resolve(m as { data?: unknown }),
            error: (e) => resolve(Array.isArray(e) ? { errors: e } : (e as Error)),
            complete: () => undefined,
          },
        );
      },
    );
  const post = async (token: string | undefined, query: string) => {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, body: (await res.json()) as { errors?: { extensions?: { code?: string } }[] } };
  };

  it('limits requests without a valid token per client address: 401 five times, then 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await post('forged.token.value', '{ jobs { edges { cursor } } }')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('refuses introspection over graphql-ws in production, as over HTTP', async () => {
    const answer = await firstAnswer(ws(VIEWER), 'query { __schema { types { name } } }');
    expect(answer).toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/introspection/i) })]),
    });
  });

  it('caps live subscriptions per connection and per subject', async () => {
    const sub = 'subscription($id: ID!) { runProgress(id: $id) { status } }';
    const a = ws(OPERATOR);
    expect(await firstAnswer(a, sub, { id: runId })).toMatchObject({ data: { runProgress: { status: 'RUNNING' } } });
    expect(await firstAnswer(a, sub, { id: runId })).toMatchObject({ data: { runProgress: { status: 'RUNNING' } } });
    expect(await firstAnswer(a, sub, { id: runId })).toMatchObject({
      errors: [
        {
          message: 'at most 2 live subscriptions per connection; complete one first',
          extensions: { code: 'RATE_LIMITED' },
        },
      ],
    });
    const b = ws(OPERATOR); // the same person on a second connection: 3 per subject in all
    expect(await firstAnswer(b, sub, { id: runId })).toMatchObject({ data: { runProgress: { status: 'RUNNING' } } });
    expect(await firstAnswer(b, sub, { id: runId })).toMatchObject({
      errors: [{ message: 'at most 3 live subscriptions per subject; complete one first' }],
    });
    // when a connection closes, its subscriptions are given back
    await a.dispose();
    await new Promise((r) => setTimeout(r, 200));
    expect(await firstAnswer(b, sub, { id: runId })).toMatchObject({ data: { runProgress: { status: 'RUNNING' } } });
  });

  it("applies the subject's rate limit to every graphql-ws operation", async () => {
    const c = ws(idp.token('chatty', ['viewer']));
    const answers = [];
    for (let i = 0; i < 35; i++) answers.push(await firstAnswer(c, '{ jobs(first: 1) { edges { cursor } } }'));
    const limited = answers.filter(
      (a) => !(a instanceof Error) && a.errors?.some((e) => e.extensions?.code === 'RATE_LIMITED'),
    );
    expect(limited.length).toBeGreaterThanOrEqual(4); // 30 a minute
  });

  it("reports the gateway's refusals to the engine, which writes them to the audit chain", async () => {
    expect(
      (await post(VIEWER, 'mutation { runJob(jobId: "00000000-0000-0000-0000-000000000000") { run { id } } }')).body
        .errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    const refused = await firstAnswer(ws('not-a-token'), '{ jobs { edges { cursor } } }');
    expect((refused as { code?: number }).code).toBe(4403);
    const audit = createAuditServiceClient({ address: engine.address, token: idp.token('aud', ['auditor']) });
    try {
      type D = { who: string; what: string; code: string; via: string; count: number };
      let denials: D[] = [];
      // the ws refusal comes after the address spent its five unauthenticated requests: counted as 429
      const has = () =>
        ['401', '429', '403'].every((code) => denials.some((d) => d.code === code && d.via === 'gateway')) &&
        denials.some((d) => d.what === 'graphql-ws');
      for (let i = 0; i < 60 && !has(); i++) {
        const entries = await unaryCall<ListEntriesRequest, ListEntriesResponse>(audit, audit.listEntries, {
          action: 'access:denied',
          pageSize: 500,
          pageToken: '',
          newestFirst: false,
        });
        denials = entries.entries.flatMap((e) => (JSON.parse(e.detailsJson) as { denials: D[] }).denials);
        if (!has()) await new Promise((r) => setTimeout(r, 200));
      }
      expect(denials).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ who: 'address:127.0.0.1', what: 'graphql', code: '401', count: 5, via: 'gateway' }),
          expect.objectContaining({ who: 'address:127.0.0.1', what: 'graphql', code: '429', via: 'gateway' }),
          expect.objectContaining({ who: 'user:vic', what: 'Mutation.runJob', code: '403', via: 'gateway' }),
          expect.objectContaining({ who: 'address:127.0.0.1', what: 'graphql-ws', via: 'gateway' }),
        ]),
      );
    } finally {
      audit.close();
    }
  });
});
