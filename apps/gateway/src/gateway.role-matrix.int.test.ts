// The role matrix (issue 7): every query and mutation × every role, through a real gateway on port 0
// and a real engine. Allowed calls may still fail for other reasons (NOT_FOUND for a made-up id) but
// never with FORBIDDEN; denied ones fail with FORBIDDEN before reaching the engine. No token, a
// tampered token or an expired one: UNAUTHENTICATED.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDevToken } from '@strongroom/auth';
import { silentLogger } from '@strongroom/logging';
import {
  type EngineProcess,
  type TestDatabase,
  createTestDatabase,
  querySql,
  startEngineProcess,
} from '@strongroom/testing';
import { ROOT_FIELD_POLICY } from './auth/authorization';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

const SECRET = 'role-matrix-secret-at-least-32-characters';
const ROLES = ['viewer', 'operator', 'auditor', 'admin'] as const;
const token = (role: string, ttlSeconds = 600, now = Date.now()) =>
  signDevToken({ sub: `${role}-1`, roles: [role], ttlSeconds }, SECRET, now);
const NO_ID = '00000000-0000-4000-8000-000000000000';

/** One operation per root field, with arguments that pass validation. */
const OPERATIONS: Record<string, string> = {
  me: '{ me { subject roles may } }',
  jobs: '{ jobs { edges { cursor } } }',
  job: `{ job(id: "${NO_ID}") { id } }`,
  runs: '{ runs { edges { cursor } } }',
  run: `{ run(id: "${NO_ID}") { id } }`,
  breakers: '{ breakers { name state } }',
  runPartitions: `{ runPartitions(runId: "${NO_ID}") { partitionNo } }`,
  replicas: '{ replicas { id live } }',
  deadLetters: '{ deadLetters { edges { cursor } } }',
  deadLetterReasons: '{ deadLetterReasons { total } }',
  alerts: '{ alerts { edges { node { id account evidenceJson } } } }',
  auditEntries: '{ auditEntries(first: 1) { edges { node { seq actor } } } }',
  auditVerification: '{ auditVerification { ok entries } }',
  auditChain: '{ auditChain { entries } }',
  legalHolds: '{ legalHolds { id } }',
  complianceReport: '{ complianceReport(framework: "SOX", from: "2026-01-01", to: "2026-01-02") { framework } }',
  createJob: 'mutation { createJob(definition: "name: matrix\\nsource: { kind: grpc }\\n") { created } }',
  runJob: `mutation { runJob(jobId: "${NO_ID}") { existing } }`,
  pauseRun: `mutation { pauseRun(id: "${NO_ID}") { id } }`,
  resumeRun: `mutation { resumeRun(id: "${NO_ID}") { id } }`,
  cancelRun: `mutation { cancelRun(id: "${NO_ID}") { id } }`,
  replayDeadLetters: 'mutation { replayDeadLetters(ids: ["999999"]) { skipped } }',
  discardDeadLetters: 'mutation { discardDeadLetters(ids: ["999999"], reason: "test") { skipped } }',
  escalateAlert: `mutation { escalateAlert(id: "${NO_ID}", reason: "x") { id } }`,
  closeAlert: `mutation { closeAlert(id: "${NO_ID}", reason: "x") { id } }`,
  placeLegalHold: 'mutation { placeLegalHold(scope: ACCOUNT, value: "ACC-MATRIX", reason: "matrix") { id } }',
  releaseLegalHold: `mutation { releaseLegalHold(id: "${NO_ID}", reason: "x") { id } }`,
  keyRotation: '{ keyRotation { id } }',
  purgeExpired: 'mutation { purgeExpired(dryRun: true) { dryRun purged } }',
  rotateFieldKeys: 'mutation { rotateFieldKeys { id toKeyId status } }',
  approvals: '{ approvals { id status } }',
  decideApproval: `mutation { decideApproval(id: "${NO_ID}", approve: false, reason: "matrix") { id } }`,
  revealValue: 'mutation { revealValue(kind: "TRANSACTION", id: "999999", field: "account", reason: "matrix") }',
};

describe('role matrix (real gateway, real engine)', () => {
  let db: TestDatabase | undefined;
  let engine: EngineProcess | undefined;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { GATEWAY_JWT_SECRET: SECRET, STRONGROOM_HOME: mkdtempSync(path.join(tmpdir(), 'strongroom-matrix-')) },
    });
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        STRONGROOM_ENGINE: engine.address,
        GATEWAY_JWT_SECRET: SECRET,
        GATEWAY_RATE_LIMIT_PER_MINUTE: '100000',
      }),
      silentLogger(),
    );
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await engine?.stop();
    await db?.drop();
  });

  async function post(query: string, bearer?: string) {
    const res = await fetch(gateway?.url as string, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      },
      body: JSON.stringify({ query }),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        data?: Record<string, unknown> | null;
        errors?: { message: string; extensions: { code: string } }[];
      },
    };
  }

  it('tells each caller who they are and which root fields they may use, from the same policy', async () => {
    const me = async (role: (typeof ROLES)[number]) =>
      (await post('{ me { subject roles may } }', token(role))).body.data?.['me'] as {
        subject: string;
        roles: string[];
        may: string[];
      };
    const viewer = await me('viewer');
    expect(viewer.roles).toEqual(['viewer']);
    expect(viewer.may).toEqual(expect.arrayContaining(['Query.runs', 'Query.run', 'Subscription.runProgress']));
    expect(viewer.may.filter((f) => f.startsWith('Mutation.'))).toEqual([]);
    const operator = await me('operator');
    expect(operator.may).toEqual(expect.arrayContaining(['Mutation.pauseRun', 'Mutation.replayDeadLetters']));
    expect(operator.may).not.toContain('Mutation.purgeExpired');
    expect((await me('admin')).may).toContain('Mutation.purgeExpired');
  });

  it('covers every root field of the schema', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(
      [...Object.keys(ROOT_FIELD_POLICY['Query'] ?? {}), ...Object.keys(ROOT_FIELD_POLICY['Mutation'] ?? {})].sort(),
    );
  });

  it('allows or denies every query and mutation for every role as the policy says', async () => {
    const outcome: Record<string, Record<string, string>> = {};
    for (const [field, query] of Object.entries(OPERATIONS)) {
      outcome[field] = {};
      for (const role of ROLES) {
        const r = await post(query, token(role));
        const codes = (r.body.errors ?? []).map((e) => e.extensions.code);
        // allowed calls reach the engine and come back with data or a precise error, never an internal one
        (outcome[field] as Record<string, string>)[role] = codes.includes('FORBIDDEN')
          ? 'denied'
          : codes.includes('UNAUTHENTICATED')
            ? 'unauthenticated'
            : codes.some((c) => !['NOT_FOUND', 'BAD_USER_INPUT', 'FAILED_PRECONDITION'].includes(c)) // (a second rotation while one runs: FAILED_PRECONDITION)
              ? `error ${codes.join(',')}`
              : 'allowed';
      }
    }
    const expected = Object.fromEntries(
      Object.keys(OPERATIONS).map((field) => {
        const allowed = ROOT_FIELD_POLICY['Query']?.[field] ?? ROOT_FIELD_POLICY['Mutation']?.[field] ?? [];
        return [field, Object.fromEntries(ROLES.map((role) => [role, allowed.includes(role) ? 'allowed' : 'denied']))];
      }),
    );
    expect(outcome).toEqual(expected);
    // and the matrix is what the docs say for a few telling cells
    expect(outcome['complianceReport']).toEqual({
      viewer: 'denied',
      operator: 'denied',
      auditor: 'allowed',
      admin: 'allowed',
    });
    expect(outcome['replayDeadLetters']).toEqual({
      viewer: 'denied',
      operator: 'allowed',
      auditor: 'denied',
      admin: 'allowed',
    });
  }, 120_000);

  it('answers UNAUTHENTICATED (HTTP 401) without a token, with a tampered one and with an expired one', async () => {
    const good = token('admin');
    const [h, p, s] = good.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'mallory', roles: ['admin'], iat: 1, exp: 4_000_000_000 })).toString('base64url')}.${s}`;
    for (const bearer of [
      undefined,
      forged,
      `${h}.${p}.${s.slice(0, -2)}xx`,
      token('admin', 60, Date.now() - 3_600_000),
    ]) {
      const r = await post(OPERATIONS['jobs'] as string, bearer);
      expect(r.status).toBe(401);
      expect(r.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
      expect(r.body.data ?? null).toBeNull();
    }
  });

  it('shows alert evidence unmasked to auditors only', async () => {
    const job = await post(
      'mutation { createJob(definition: "name: masked\\nsource: { kind: grpc }\\n") { job { id } } }',
      token('operator'),
    );
    const jobId = (job.body.data?.['createJob'] as { job: { id: string } }).job.id;
    await querySql(
      db?.url as string,
      `WITH r AS (INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes)
                  VALUES (gen_random_uuid(), $1, 1, 'SUCCEEDED', 'grpc', repeat('a', 64), 0) RETURNING id)
       INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
       SELECT 'SANCTIONS', 'txn:m:1', 100, 'm', '1', 'DE89370400440532013000', now(), $1, r.id, '{"screenedName":"Daniel Moreno","entryId":"15102"}' FROM r`,
      [jobId],
    );
    const seen = async (role: string) => {
      const r = await post('{ alerts { edges { node { account evidenceJson } } } }', token(role));
      const node = (r.body.data?.['alerts'] as { edges: { node: { account: string; evidenceJson: string } }[] })
        .edges[0]?.node;
      return {
        account: node?.account,
        screenedName: JSON.parse(node?.evidenceJson ?? '{}').screenedName,
        entryId: JSON.parse(node?.evidenceJson ?? '{}').entryId,
      };
    };
    expect(await seen('operator')).toEqual({ account: '****3000', screenedName: '****reno', entryId: '15102' });
    expect(await seen('auditor')).toEqual({
      account: 'DE89370400440532013000',
      screenedName: 'Daniel Moreno',
      entryId: '15102',
    });
  });

  it('lists alerts newest first by default and as a work queue, highest score first, with orderBy PRIORITY', async () => {
    const job = await post(
      'mutation { createJob(definition: "name: queue\\nsource: { kind: grpc }\\n") { job { id } } }',
      token('operator'),
    );
    const jobId = (job.body.data?.['createJob'] as { job: { id: string } }).job.id;
    // an old SANCTIONS alert, then a newer, lower-scored one
    const [inserted] = await querySql<{ run_id: string }>(
      db?.url as string,
      `WITH r AS (INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes)
                  VALUES (gen_random_uuid(), $1, 1, 'SUCCEEDED', 'grpc', repeat('b', 64), 0) RETURNING id)
       INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence, created_at)
       SELECT a.rule, a.key, a.score, 'q', a.key, 'DE89370400440532013000', now(), $1, r.id, '{}', now() - a.age
         FROM r, (VALUES ('SANCTIONS', 'q:1', 100, interval '2 hours'), ('ROUND_AMOUNT', 'q:2', 20, interval '1 minute'))
              AS a(rule, key, score, age)
       RETURNING run_id`,
      [jobId],
    );
    const firstOf = async (args: string) => {
      const r = await post(
        `{ alerts(runId: "${inserted?.run_id}", first: 1${args}) { edges { node { txnId score } } } }`,
        token('operator'),
      );
      return (r.body.data?.['alerts'] as { edges: { node: { txnId: string; score: number } }[] }).edges[0]?.node;
    };
    expect(await firstOf('')).toEqual({ txnId: 'q:2', score: 20 });
    expect(await firstOf(', orderBy: NEWEST')).toEqual({ txnId: 'q:2', score: 20 });
    expect(await firstOf(', orderBy: PRIORITY')).toEqual({ txnId: 'q:1', score: 100 });
    const bad = await post('{ alerts(orderBy: SCORE) { edges { node { id } } } }', token('operator'));
    expect(bad.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    // a cursor of one order does not continue the other
    const newest = await post(
      `{ alerts(runId: "${inserted?.run_id}", first: 2) { edges { cursor } } }`,
      token('operator'),
    );
    const cursor = (newest.body.data?.['alerts'] as { edges: { cursor: string }[] }).edges[0]?.cursor;
    const crossed = await post(
      `{ alerts(runId: "${inserted?.run_id}", orderBy: PRIORITY, after: "${cursor}") { edges { node { id } } } }`,
      token('operator'),
    );
    expect(crossed.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});
