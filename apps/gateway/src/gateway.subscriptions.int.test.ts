// Live run progress over graphql-ws (issue 7), against a real engine: a subscription streams snapshots
// of a running job until it ends, then completes; a connection without a valid token is refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signDevToken } from '@strongroom/auth';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { silentLogger } from '@strongroom/logging';
import {
  type EngineProcess,
  type TestDatabase,
  createTestDatabase,
  holdTableLock,
  startEngineProcess,
} from '@strongroom/testing';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

const SECRET = 'subscription-test-secret-at-least-32-chars';
const OPERATOR = signDevToken({ sub: 'ops', roles: ['operator'], ttlSeconds: 600 }, SECRET);
const VIEWER = signDevToken({ sub: 'watcher', roles: ['viewer'], ttlSeconds: 600 }, SECRET);

describe('runProgress subscription (graphql-ws)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'strongroom-subs-'));
  let db: TestDatabase | undefined;
  let engine: EngineProcess | undefined;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { GATEWAY_JWT_SECRET: SECRET, STRONGROOM_HOME: path.join(dir, 'home') },
    });
    gateway = await startGateway(
      loadConfig({ GATEWAY_PORT: '0', STRONGROOM_ENGINE: engine.address, GATEWAY_JWT_SECRET: SECRET }),
      silentLogger(),
    );
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await engine?.stop();
    await db?.drop();
  });

  const wsUrl = () => (gateway?.url as string).replace(/^http/, 'ws');
  async function gql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const res = await fetch(gateway?.url as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` },
      body: JSON.stringify({ query, variables }),
    });
    return ((await res.json()) as { data: T }).data;
  }

  it('streams snapshots of a running job to its end, then completes', async () => {
    const csv = path.join(dir, 'live.csv');
    await generateTransactionsCsv(csv, { rows: 40_000, seed: 4, idPrefix: 'WS' });
    const job = await gql<{ createJob: { job: { id: string } } }>(
      'mutation($d: String!) { createJob(definition: $d) { job { id } } }',
      {
        d: `name: live\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 1000, maxSize: 1000 }\nerrors: { maxRejectRatio: 0.5 }\n`,
      },
    );
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${VIEWER}` },
      retryAttempts: 0,
    });
    // the run's first batch waits on a lock the test holds until the first snapshot arrives: the subscription
    // surely sees the run before its end, however fast the engine is
    let release: (() => Promise<void>) | undefined = await holdTableLock((db as TestDatabase).url, 'transactions');
    const letGo = () => {
      const r = release;
      release = undefined;
      return r?.();
    };
    try {
      const run = await gql<{ runJob: { run: { id: string } } }>(
        'mutation($id: ID!) { runJob(jobId: $id) { run { id } } }',
        { id: job.createJob.job.id },
      );
      const seen: { status: string; read: number }[] = [];
      await new Promise<void>((resolve, reject) => {
        client.subscribe<{ runProgress: { status: string; read: number } }>(
          {
            query: 'subscription($id: ID!) { runProgress(id: $id) { status read loaded deadLettered } }',
            variables: { id: run.runJob.run.id },
          },
          {
            next: (m) => {
              if (m.data) seen.push(m.data.runProgress);
              void letGo();
            },
            error: reject,
            complete: resolve,
          },
        );
      });
      expect(seen[0]?.status).not.toBe('SUCCEEDED'); // the first snapshot came while the run was held
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.at(-1)).toMatchObject({ status: 'SUCCEEDED', read: 40_000 });
      const reads = seen.map((s) => s.read);
      expect([...reads].sort((a, b) => a - b)).toEqual(reads); // progress only moves forward
    } finally {
      await letGo();
      await client.dispose();
    }
  }, 90_000);

  it('refuses a connection without a valid token', async () => {
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: 'Bearer nope' },
      retryAttempts: 0,
    });
    const closed = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription { runProgress(id: "x") { status } }' },
        { next: () => undefined, error: resolve, complete: () => resolve('completed') },
      );
    });
    await client.dispose();
    expect((closed as { code?: number }).code).toBe(4403);
  });
});
