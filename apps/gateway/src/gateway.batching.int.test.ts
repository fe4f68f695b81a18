// Efficiency (issue 7): listing 1,000 runs with their jobs through the gateway costs a bounded number
// of gRPC calls — one ListRuns and one batched ListJobs per page — not one GetJob per run (N+1).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Logger } from '@strongroom/logging';
import {
  type EngineProcess,
  type TestDatabase,
  createTestDatabase,
  querySql,
  startEngineProcess,
} from '@strongroom/testing';
import { signDevToken } from '@strongroom/auth';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

const SECRET = 'batching-test-secret-at-least-32-characters';
/** Where the (never read) source files of these jobs would be: inside the engine's source roots. */
const DATA = tmpdir();
const OPERATOR = signDevToken({ sub: 'ops', roles: ['operator'], ttlSeconds: 600 }, SECRET);

/** A logger that keeps the engine calls the gateway reports (debug `engine:answered`). */
function recordingLogger(calls: string[]): Logger {
  const logger: Logger = {
    debug: (msg, meta) => {
      if (msg === 'engine:answered') calls.push(String(meta?.['method']));
    },
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}

describe('gateway batching against the real engine', () => {
  let db: TestDatabase | undefined;
  let engine: EngineProcess | undefined;
  let gateway: RunningGateway | undefined;
  const calls: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { GATEWAY_JWT_SECRET: SECRET, STRONGROOM_HOME: mkdtempSync(path.join(tmpdir(), 'strongroom-batch-')) },
    });
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        STRONGROOM_ENGINE: engine.address,
        GATEWAY_JWT_SECRET: SECRET,
        LOG_LEVEL: 'debug',
      }),
      recordingLogger(calls),
    );
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await engine?.stop();
    await db?.drop();
  });

  async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(gateway?.url as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  it('lists 1,000 runs of 50 jobs with their jobs in 2 engine calls per page of 100', async () => {
    // 50 jobs through the gateway; 1,000 finished runs of them written straight into the database
    const jobIds: string[] = [];
    for (let i = 0; i < 50; i++) {
      const d = await gql<{ createJob: { job: { id: string } } }>(
        `mutation($d: String!) { createJob(definition: $d) { job { id } } }`,
        {
          d: `name: batch-${i}\nsource:\n  kind: csv\n  path: ${DATA}/batch-${i}.csv\n  mapping: { txn_id: id, account: a, amount: m, currency: c, booked_at: b }\n`,
        },
      );
      jobIds.push(d.createJob.job.id);
    }
    await querySql(
      db?.url as string,
      `INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes, created_at, finished_at)
         SELECT gen_random_uuid(), j.id, 1, 'SUCCEEDED', '/data/x.csv', r.sha, 0, now() - make_interval(secs => r.n), now()
           FROM unnest($1::uuid[]) WITH ORDINALITY AS j(id, k)
           CROSS JOIN LATERAL (SELECT g AS n, encode(sha256((j.k * 1000 + g)::text::bytea), 'hex') AS sha FROM generate_series(1, 20) g) r`,
      [jobIds],
    );

    calls.length = 0;
    let after: string | null = null;
    let runs = 0;
    let pages = 0;
    const names = new Set<string>();
    do {
      const d: {
        runs: {
          edges: { node: { id: string; job: { id: string; name: string } } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      } = await gql(
        `query($after: String) { runs(first: 100, after: $after) { edges { node { id job { id name } } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      runs += d.runs.edges.length;
      d.runs.edges.forEach((e) => names.add(e.node.job.name));
      pages++;
      after = d.runs.pageInfo.hasNextPage ? d.runs.pageInfo.endCursor : null;
    } while (after);
    expect(runs).toBe(1000);
    expect(names.size).toBe(50);
    expect(pages).toBe(10);
    // bounded: per page one ListRuns and one ListJobs for all the jobs on it — 20 calls, not 1,010
    expect(calls.filter((c) => c === 'ListRuns')).toHaveLength(10);
    expect(calls.filter((c) => c === 'ListJobs')).toHaveLength(10);
    expect(calls.filter((c) => c === 'GetJob')).toHaveLength(0);
    expect(calls).toHaveLength(20);
  }, 120_000);

  it('records the caller of a mutation done through the gateway in the audit chain', async () => {
    const d = await gql<{ createJob: { job: { id: string } } }>(
      `mutation($d: String!) { createJob(definition: $d) { job { id } } }`,
      {
        d: `name: audited\nsource:\n  kind: csv\n  path: ${DATA}/audited.csv\n  mapping: { txn_id: id, account: a, amount: m, currency: c, booked_at: b }\n`,
      },
    );
    const rows = await querySql<{ actor: string; action: string }>(
      db?.url as string,
      `SELECT actor, action FROM immutable_audit_log WHERE subject->>'jobId' = $1`,
      [d.createJob.job.id],
    );
    expect(rows).toEqual([{ actor: 'user:ops', action: 'job:defined' }]);
  });
});
