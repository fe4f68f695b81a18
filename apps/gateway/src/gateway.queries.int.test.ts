// The gateway in front of the real engine (its own process, real gRPC) on a real PostgreSQL database:
// define a job and run it through GraphQL, watch the run to its end through `run(id)`, and check that
// the counts the user relies on (read = loaded + deadLettered) come back exactly.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@strongroom/logging';
import { parse as parseYaml } from 'yaml';
import {
  type EngineProcess,
  type TestDatabase,
  createTestDatabase,
  promSample,
  startEngineProcess,
} from '@strongroom/testing';
import { signDevToken } from '@strongroom/auth';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const SECRET = 'integration-test-secret-at-least-32-chars';
const OPERATOR = signDevToken({ sub: 'ops-int', roles: ['operator'], ttlSeconds: 600 }, SECRET);
const VIEWER = signDevToken({ sub: 'viewer-int', roles: ['viewer'], ttlSeconds: 600 }, SECRET);
const AUDITOR = signDevToken({ sub: 'auditor-int', roles: ['auditor'], ttlSeconds: 600 }, SECRET);

const CSV = [
  'id,account_iban,counterparty_iban,counterparty_name,amount,currency,booked_at,value_date,reference',
  'tx-1,DE89370400440532013000,GB82WEST12345698765432,ACME Ltd,100.00,EUR,2026-01-05T08:00:00Z,2026-01-05,INV-1',
  'tx-2,DE89370400440532013000,GB82WEST12345698765432,ACME Ltd,-25.50,EUR,2026-01-05T09:00:00Z,2026-01-05,INV-2',
  'tx-3,DE89370400440532013000,FR1420041010050500013M02606,Dupont SA,0.01,EUR,2026-01-06T10:30:00Z,2026-01-06,INV-3',
  'tx-4,DE89370400440532013000,FR1420041010050500013M02606,Dupont SA,1234.56,EUR,2026-01-06T11:00:00Z,2026-01-07,INV-4',
  'tx-5,GB82WEST12345698765432,DE89370400440532013000,Muster GmbH,99.99,GBP,2026-01-07T12:00:00Z,2026-01-07,INV-5',
  'tx-6,DE89370400440532013000,GB82WEST12345698765432,ACME Ltd,10.00,XXQ,2026-01-07T13:00:00Z,2026-01-07,INV-6',
].join('\n');

const JOB_YAML = `name: gateway-int-transactions
source:
  kind: csv
  path: transactions.csv
  mapping:
    txn_id: id
    account: account_iban
    counterparty_account: counterparty_iban
    counterparty_name: counterparty_name
    amount: amount
    currency: currency
    booked_at: booked_at
    value_date: value_date
    reference: reference
sink: { table: transactions }
errors: { maxRejectRatio: 0.5 }
`;

interface GraphQLResponse<T> {
  status: number;
  text: string;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions: { code: string; strongroomCode?: string } }[];
}

interface CurrencyTotal {
  currency: string;
  count: number;
  amount: string;
}

interface RunView {
  id: string;
  status: string;
  finishedAt: string | null;
  reconciliation: {
    reconciled: boolean;
    reason: string | null;
    sourceTotals: CurrencyTotal[];
    sinkTotals: CurrencyTotal[];
  };
  [field: string]: unknown;
}

type RunJobData = { runJob: { existing: boolean; run: { id: string } } | null };

describe('gateway queries and mutations against the real engine', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'strongroom-gateway-int-'));
  let db: TestDatabase | undefined;
  let engine: EngineProcess | undefined;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    writeFileSync(path.join(dir, 'transactions.csv'), `${CSV}\n`);
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { GATEWAY_JWT_SECRET: SECRET, STRONGROOM_HOME: path.join(dir, 'home'), ENGINE_REPLICA_ID: 'gw-int-replica' },
    });
    const config = loadConfig({ GATEWAY_PORT: '0', STRONGROOM_ENGINE: engine.address, GATEWAY_JWT_SECRET: SECRET });
    gateway = await startGateway(config, silentLogger());
  });

  afterAll(async () => {
    await gateway?.stop();
    await engine?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function gql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    bearer?: string,
  ): Promise<GraphQLResponse<T>> {
    const res = await fetch((gateway as RunningGateway).url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { status: res.status, text, ...(JSON.parse(text) as Omit<GraphQLResponse<T>, 'status' | 'text'>) };
  }

  const RUN_FIELDS = `id jobId jobName status read loaded deadLettered filtered errorCode finishedAt
    reconciliation { reconciled reason sourceTotals { currency count amount } sinkTotals { currency count amount } }`;

  async function waitForEnd(runId: string): Promise<RunView> {
    const until = Date.now() + 60_000;
    for (;;) {
      const res = await gql<{ run: RunView }>(
        `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`,
        { id: runId },
        VIEWER,
      );
      expect(res.errors).toBeUndefined();
      const run = res.data?.run as RunView;
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
      if (Date.now() > until) throw new Error(`run ${runId} still ${run.status} after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  let jobId = '';
  let runId = '';

  it('creates a job from YAML, runs it and reports read 6, loaded 5, dead-lettered 1, reconciled', async () => {
    const created = await gql<{ createJob: { created: boolean; job: { id: string } } }>(
      `mutation($definition: String!, $baseDir: String) {
         createJob(definition: $definition, baseDir: $baseDir) { created job { id name version sourceKind sinkTable } }
       }`,
      { definition: JOB_YAML, baseDir: dir },
      OPERATOR,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createJob).toMatchObject({
      created: true,
      job: { name: 'gateway-int-transactions', version: 1, sourceKind: 'csv', sinkTable: 'transactions' },
    });
    jobId = created.data?.createJob.job.id ?? '';

    const started = await gql<RunJobData>(
      `mutation($jobId: ID!) { runJob(jobId: $jobId) { existing run { id status } } }`,
      { jobId },
      OPERATOR,
    );
    expect(started.errors).toBeUndefined();
    expect(started.data?.runJob?.existing).toBe(false);
    runId = started.data?.runJob?.run.id ?? '';

    const run = await waitForEnd(runId);
    expect(run).toMatchObject({
      id: runId,
      jobId,
      jobName: 'gateway-int-transactions',
      status: 'SUCCEEDED',
      read: 6,
      loaded: 5,
      deadLettered: 1,
      filtered: 0,
      errorCode: null,
    });
    expect(typeof run.finishedAt).toBe('string');
    expect(run.reconciliation.reconciled).toBe(true);
    expect(run.reconciliation.reason).toBeNull();
    const expectedTotals = [
      { currency: 'EUR', count: 4, amount: '1309.07' },
      { currency: 'GBP', count: 1, amount: '99.99' },
    ];
    expect(run.reconciliation.sinkTotals).toEqual(expect.arrayContaining(expectedTotals));
    expect(run.reconciliation.sinkTotals).toHaveLength(2);
  });

  it('returns the existing run when the same file is submitted again', async () => {
    const again = await gql<RunJobData>(
      `mutation($jobId: ID!) { runJob(jobId: $jobId) { existing run { id } } }`,
      { jobId },
      OPERATOR,
    );
    expect(again.data?.runJob).toEqual({ existing: true, run: { id: runId } });
    // the same file under another name, given as the run's file: still the same run
    writeFileSync(path.join(dir, 'transactions-copy.csv'), `${CSV}\n`);
    const copy = await gql<RunJobData>(
      `mutation($jobId: ID!, $file: String) { runJob(jobId: $jobId, file: $file) { existing run { id } } }`,
      { jobId, file: 'transactions-copy.csv' },
      OPERATOR,
    );
    expect(copy.data?.runJob).toEqual({ existing: true, run: { id: runId } });
  });

  it("serves a run's partitions to any role and the engine replicas to staff only", async () => {
    const parts = await gql<{ runPartitions: Record<string, unknown>[] }>(
      `query($id: ID!) { runPartitions(runId: $id) { partitionNo state owner leaseEpoch startByte endByte nextOffset read loaded
         deadLettered filtered batchesCommitted fencedBatches } }`,
      { id: runId },
      VIEWER,
    );
    expect(parts.errors).toBeUndefined();
    expect(parts.data?.runPartitions).toEqual([
      {
        partitionNo: 0,
        state: 'DONE',
        owner: null,
        leaseEpoch: 1,
        startByte: 0,
        endByte: Buffer.byteLength(CSV) + 1,
        nextOffset: Buffer.byteLength(CSV) + 1,
        read: 6,
        loaded: 5,
        deadLettered: 1,
        filtered: 0,
        batchesCommitted: expect.any(Number),
        fencedBatches: 0,
      },
    ]);
    const unknown = await gql(
      `{ runPartitions(runId: "00000000-0000-4000-8000-000000000000") { partitionNo } }`,
      {},
      VIEWER,
    );
    expect(unknown.errors?.[0]?.extensions.code).toBe('NOT_FOUND');

    const replicas = await gql<{ replicas: Record<string, unknown>[] }>(
      '{ replicas { id live address partitionsHeld runsHeld heartbeatAt stoppedAt } }',
      {},
      OPERATOR,
    );
    expect(replicas.errors).toBeUndefined();
    expect(replicas.data?.replicas).toEqual([
      {
        id: 'gw-int-replica',
        live: true,
        address: (engine as EngineProcess).address,
        partitionsHeld: 0,
        runsHeld: 0,
        heartbeatAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        stoppedAt: null,
      },
    ]);
    const viewer = await gql('{ replicas { id } }', {}, VIEWER);
    expect(viewer.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });

  it('counts dead letters by reason (all of them, not a page), and shows the audit chain at a glance', async () => {
    type Counts = { deadLetterReasons: { total: number; reasons: { reasonCode: string; count: number }[] } };
    const counted = await gql<Counts & { deadLetters: { edges: { node: { reasonCode: string } }[] } }>(
      `query($runId: ID!) {
         deadLetterReasons(runId: $runId) { total reasons { reasonCode count } }
         deadLetters(runId: $runId, first: 100) { edges { node { reasonCode } } }
       }`,
      { runId },
      OPERATOR,
    );
    expect(counted.errors).toBeUndefined();
    const listed = counted.data?.deadLetters.edges.map((e) => e.node.reasonCode) ?? [];
    expect(listed).toHaveLength(1);
    expect(counted.data?.deadLetterReasons).toEqual({ total: 1, reasons: [{ reasonCode: listed[0], count: 1 }] });
    const replayed = await gql<Counts>(
      `query($runId: ID!) { deadLetterReasons(runId: $runId, status: DISCARDED) { total reasons { reasonCode count } } }`,
      { runId },
      OPERATOR,
    );
    expect(replayed.data?.deadLetterReasons).toEqual({ total: 0, reasons: [] });
    const verified = await gql<{ auditVerification: { ok: boolean } }>(`{ auditVerification { ok } }`, {}, AUDITOR);
    expect(verified.data?.auditVerification.ok).toBe(true);
    const chain = await gql<{
      auditChain: {
        entries: number;
        headHash: string;
        lastVerification: { actor: string; ok: boolean; entries: number; firstBadSeq: number | null };
      };
      auditEntries: { edges: { node: { seq: number; action: string; actor: string } }[] };
    }>(
      `{ auditChain { entries headHash headAt lastCheckpoint { seq signedAt keyId }
                      lastVerification { verifiedAt actor ok entries trustedThroughSeq firstBadSeq kind } }
         auditEntries(action: "audit:verified", first: 1, newestFirst: true) { edges { node { seq action actor } } } }`,
      {},
      AUDITOR,
    );
    expect(chain.errors).toBeUndefined();
    const glance = chain.data?.auditChain;
    expect(glance?.headHash).toMatch(/^[0-9a-f]{64}$/);
    expect(glance?.lastVerification).toMatchObject({ actor: 'user:auditor-int', ok: true, firstBadSeq: null });
    // the verification is recorded in the chain (newest first finds it), after the entries it checked
    const entry = chain.data?.auditEntries.edges[0]?.node;
    expect(entry).toMatchObject({ action: 'audit:verified', actor: 'user:auditor-int' });
    expect(glance?.lastVerification.entries).toBeGreaterThan(0);
    expect(glance?.lastVerification.entries).toBeLessThan(entry?.seq ?? 0);
    expect(glance?.entries).toBeGreaterThanOrEqual(entry?.seq ?? Infinity);
    const denied = await gql(`{ deadLetterReasons { total } }`, {}, VIEWER);
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('lists the job and its runs through connections', async () => {
    const res = await gql<{
      jobs: { edges: { node: { id: string } }[] };
      job: { runs: { edges: unknown[] } };
      runs: unknown;
    }>(
      `query($jobId: ID!) {
         jobs(first: 10) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
         job(id: $jobId) { name runs(first: 5) { edges { node { id status } } } }
         runs(jobId: $jobId, status: SUCCEEDED, first: 5) { edges { node { id loaded } } pageInfo { hasNextPage } }
       }`,
      { jobId },
      VIEWER,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.jobs.edges.map((e) => e.node.id)).toContain(jobId);
    expect(res.data?.job.runs.edges).toEqual([{ node: { id: runId, status: 'SUCCEEDED' } }]);
    expect(res.data?.runs).toEqual({ edges: [{ node: { id: runId, loaded: 5 } }], pageInfo: { hasNextPage: false } });
  });

  it('refuses a request without a token with UNAUTHENTICATED', async () => {
    const res = await gql('{ jobs { edges { cursor } } }');
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(res.data).toBeUndefined();
  });

  it('refuses runJob to a viewer with FORBIDDEN', async () => {
    const res = await gql<RunJobData>(
      `mutation($jobId: ID!) { runJob(jobId: $jobId) { run { id } } }`,
      { jobId },
      VIEWER,
    );
    expect(res.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(res.data?.runJob).toBeNull();
  });

  it('answers an unknown run id with NOT_FOUND or BAD_USER_INPUT and no internal details', async () => {
    const res = await gql('{ run(id: "no-such") { id } }', {}, VIEWER);
    expect(res.data?.run).toBeNull();
    expect(['NOT_FOUND', 'BAD_USER_INPUT']).toContain(res.errors?.[0]?.extensions.code);
    for (const key of Object.keys(res.errors?.[0]?.extensions ?? {})) expect(['code', 'strongroomCode']).toContain(key);
    expect(res.text).not.toMatch(/stacktrace|select |relation |uuid|node_modules|\.ts:\d+/i);
  });

  it('reports an invalid job definition as BAD_USER_INPUT with the engine’s stable code', async () => {
    const res = await gql(
      'mutation($d: String!) { createJob(definition: $d) { created } }',
      { d: 'name: Not Valid\nsource: { kind: csv, path: /nope.csv, mapping: {} }\n' },
      OPERATOR,
    );
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', strongroomCode: 'INVALID_JOB_DEFINITION' });
  });

  it("serves a run's SLA status and its Prometheus metrics: requests by operation type and outcome, latency, errors by code, the engine breaker", async () => {
    await gql('{ jobs { edges { cursor } } }', {}, VIEWER);
    await gql('{ run(id: "no-such") { id } }', {}, VIEWER);
    const sla = await gql<{ run: { sla: unknown } }>(
      'query($id: ID!) { run(id: $id) { sla { status maxErrorRate errorRate reason } } }',
      { id: runId },
      VIEWER,
    );
    expect(sla.data?.run.sla).toEqual({
      status: 'NONE',
      maxErrorRate: null,
      errorRate: expect.any(Number),
      reason: 'the job has no SLA',
    });
    const url = (gateway as RunningGateway).metricsUrl as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(url)).text();
    expect(
      promSample(text, 'strongroom_gateway_requests_total', 'operation_type="query",outcome="ok"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      promSample(text, 'strongroom_gateway_requests_total', 'operation_type="query",outcome="error"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      promSample(text, 'strongroom_gateway_request_duration_seconds_count', 'operation_type="query"'),
    ).toBeGreaterThanOrEqual(2);
    expect(promSample(text, 'strongroom_gateway_errors_total', 'code="FORBIDDEN"')).toBeGreaterThanOrEqual(1);
    expect(promSample(text, 'strongroom_breaker_state', 'breaker="engine"')).toBe(0);
    expect(promSample(text, 'nodejs_eventloop_lag_seconds', 'service="gateway"')).toBeGreaterThanOrEqual(0);
    expect(promSample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(1_000_000);
    // every strongroom series the gateway serves is in docs/observability.md's gateway table, and every one that
    // table names is served
    const served = [...text.matchAll(/^# TYPE (strongroom_[a-z0-9_]+) /gm)].map((m) => m[1]).sort();
    const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'observability.md'), 'utf8');
    const from = doc.indexOf('### Gateway');
    const table = doc.slice(from, doc.indexOf('\n### ', from + 1));
    const documented = [...new Set([...table.matchAll(/`(strongroom_[a-z0-9_]+)`/g)].map((m) => m[1]))].sort();
    expect(served).toEqual(documented);
  });

  it('has every series the Prometheus alert rules and the Grafana dashboard use (ops/)', async () => {
    const scraped = (
      await Promise.all(
        [(gateway as RunningGateway).metricsUrl, (engine as EngineProcess).metricsUrl].map(async (u) =>
          (await fetch(u as string)).text(),
        ),
      )
    ).join('\n');
    const families = new Set([...scraped.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const rules = parseYaml(readFileSync(path.join(ROOT, 'ops/prometheus/alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'ops/grafana/strongroom-dashboard.json'), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = [
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ];
    expect(rules.groups.flatMap((g) => g.rules).every((r) => r.alert && r.expr)).toBe(true);
    const used = new Set(
      exprs.flatMap((e) =>
        [...e.matchAll(/\b((?:strongroom|nodejs|process)_[a-z0-9_]+)/g)].map((m) =>
          (m[1] as string).replace(/_(bucket|count|sum)$/, ''),
        ),
      ),
    );
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((name) => !families.has(name))).toEqual([]);
  });

  // last: it adds a run to the job the tests above count
  it("runs the job's current version on another file, with no new version", async () => {
    writeFileSync(path.join(dir, 'transactions-day2.csv'), `${CSV.split('\n').slice(0, 3).join('\n')}\n`);
    const started = await gql<{ runJob: { existing: boolean; run: { id: string; jobVersion: number } } }>(
      `mutation($jobId: ID!, $file: String) { runJob(jobId: $jobId, file: $file) { existing run { id jobVersion } } }`,
      { jobId, file: 'transactions-day2.csv' },
      OPERATOR,
    );
    expect(started.errors).toBeUndefined();
    expect(started.data?.runJob).toMatchObject({ existing: false, run: { jobVersion: 1 } });
    const run = await waitForEnd(started.data?.runJob.run.id ?? '');
    expect(run).toMatchObject({ status: 'SUCCEEDED', read: 2 });
    const outside = await gql(
      `mutation($jobId: ID!) { runJob(jobId: $jobId, file: "../../../etc/passwd") { existing } }`,
      { jobId },
      OPERATOR,
    );
    expect(outside.errors?.[0]?.extensions?.['code']).toMatch(/FORBIDDEN|BAD_USER_INPUT|FAILED_PRECONDITION/);
    expect(JSON.stringify(outside)).not.toContain('root:');
  });
});
