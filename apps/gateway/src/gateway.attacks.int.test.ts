// OWASP GraphQL attack queries against a production-mode gateway (real engine, port 0): each is refused
// before any resolver runs — the answer carries no `data` at all, which GraphQL only does when
// execution never started — and a cheap query still works alongside.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDevToken } from '@strongroom/auth';
import { silentLogger } from '@strongroom/logging';
import {
  type EngineProcess,
  type TestDatabase,
  createTestDatabase,
  makeTestIdp,
  startEngineProcess,
} from '@strongroom/testing';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

const idp = makeTestIdp(mkdtempSync(path.join(tmpdir(), 'strongroom-idp-')));
const VIEWER = idp.token('mallory', ['viewer']); // production: RS256 from the identity provider's JWKS

describe('gateway protection (production mode)', () => {
  let db: TestDatabase | undefined;
  let engine: EngineProcess | undefined;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { ...idp.env, STRONGROOM_HOME: mkdtempSync(path.join(tmpdir(), 'strongroom-attack-')) },
    });
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        STRONGROOM_ENGINE: engine.address,
        ...idp.env,
        NODE_ENV: 'production',
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

  async function post(
    body: string,
    token = VIEWER,
  ): Promise<{
    status: number;
    json:
      { data?: unknown; errors?: { message: string; extensions?: { code?: string; limit?: string } }[] } | undefined;
    text: string;
  }> {
    const res = await fetch(gateway?.url as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }
  const query = (q: string) => post(JSON.stringify({ query: q }));

  it('answers a normal query', async () => {
    const r = await query('{ jobs(first: 5) { edges { node { id name } } } }');
    expect(r.status).toBe(200);
    expect(r.json?.data).toEqual({ jobs: { edges: [] } });
  });

  it('refuses a query 20 levels deep', async () => {
    let q = 'id';
    for (let i = 0; i < 6; i++) q = `runs(first: 1) { edges { node { job { ${q} } } } }`;
    const r = await query(`{ job(id: "00000000-0000-4000-8000-000000000000") { ${q} } }`);
    expect(r.json?.data).toBeUndefined();
    expect(r.json?.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxDepth' } });
    expect(r.json?.errors?.[0]?.message).toMatch(/levels deep/);
  });

  it('refuses 1,000 aliases', async () => {
    const r = await query(
      `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: jobs(first: 1) { edges { cursor } }`).join(' ')} }`,
    );
    expect(r.json?.data).toBeUndefined();
    expect(r.json?.errors?.[0]).toMatchObject({ extensions: { limit: 'maxAliases' } });
  });

  it('refuses 100 batched operations, as a JSON array and as one document', async () => {
    const batch = await post(
      JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ jobs { edges { cursor } } }' }))),
    );
    expect(batch.status).toBe(400);
    expect(batch.json?.data).toBeUndefined();
    const doc = await post(
      JSON.stringify({
        query: Array.from({ length: 100 }, (_, i) => `query q${i} { jobs { edges { cursor } } }`).join('\n'),
        operationName: 'q0',
      }),
    );
    expect(doc.json?.data).toBeUndefined();
    expect(doc.json?.errors?.[0]).toMatchObject({ extensions: { limit: 'maxOperations' } });
  });

  it('refuses a query whose cost is too high', async () => {
    const r = await query(
      '{ runs(first: 100) { edges { node { id job { id runs(first: 100) { edges { node { id read loaded } } } } } } } }',
    );
    expect(r.json?.data).toBeUndefined();
    expect(r.json?.errors?.[0]).toMatchObject({ extensions: { limit: 'maxCost' } });
  });

  it('refuses a 2 MB body with 413 before parsing it', async () => {
    const r = await post(JSON.stringify({ query: `{ jobs { edges { cursor } } } # ${'x'.repeat(2 * 1024 * 1024)}` }));
    expect(r.status).toBe(413);
  });

  it('refuses introspection and does not suggest field names in production', async () => {
    const intro = await query('{ __schema { types { name } } }');
    expect(intro.json?.data).toBeUndefined();
    expect(intro.json?.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await query('{ jbos { edges { cursor } } }');
    expect(typo.json?.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('accepts RS256 tokens from the JWKS and refuses HS256 development tokens in production', async () => {
    const hs = signDevToken(
      { sub: 'dev', roles: ['admin'], ttlSeconds: 60 },
      'some-development-secret-of-32-characters',
    );
    const r = await post(JSON.stringify({ query: '{ jobs { edges { cursor } } }' }), hs);
    expect(r.status).toBe(401);
    expect(r.json?.errors?.[0]?.message).toMatch(/algorithm this gateway does not accept/);
    const other = makeTestIdp(mkdtempSync(path.join(tmpdir(), 'strongroom-idp-')));
    expect(
      (await post(JSON.stringify({ query: '{ jobs { edges { cursor } } }' }), other.token('eve', ['admin']))).status,
    ).toBe(401);
  });

  it('refuses a GET mutation and a simple-request POST (CSRF prevention)', async () => {
    const res = await fetch(`${gateway?.url}?query=${encodeURIComponent('{ jobs { edges { cursor } } }')}`, {
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(res.status).toBe(400); // no apollo-require-preflight / content-type: CSRF prevention refuses it
  });

  it("refuses an operator's job whose source is outside the engine's source roots, quoting nothing of the file", async () => {
    const operator = idp.token('olga', ['operator']);
    const definition =
      'name: passwd\nsource:\n  kind: csv\n  path: /etc/passwd\n  mapping: { txn_id: a, account: b, amount: c, currency: d, booked_at: e }\n';
    const r = await post(
      JSON.stringify({
        query: 'mutation($d: String!) { createJob(definition: $d) { created } }',
        variables: { d: definition },
      }),
      operator,
    );
    expect(r.json?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(r.json?.errors?.[0]?.message).toMatch(/outside the engine's source roots/);
    expect(r.text).not.toMatch(/root:x:0:0/);
  });

  it("refuses ../, a symlink and a base directory outside the roots too, also when a saved job's file is swapped for a link", async () => {
    const operator = idp.token('olga', ['operator']);
    const auditor = idp.token('audrey', ['auditor']);
    const inbox = mkdtempSync(path.join(tmpdir(), 'strongroom-inbox-')); // inside the test engine's roots
    const mapping = 'mapping: { txn_id: root, account: x, amount: c, currency: d, booked_at: e }';
    const create = (name: string, sourcePath: string, baseDir?: string) =>
      post(
        JSON.stringify({
          query: 'mutation($d: String!, $b: String) { createJob(definition: $d, baseDir: $b) { job { id } created } }',
          variables: { d: `name: ${name}\nsource:\n  kind: csv\n  path: ${sourcePath}\n  ${mapping}\n`, b: baseDir },
        }),
        operator,
      );
    symlinkSync('/etc/passwd', path.join(inbox, 'passwd-link.csv'));
    for (const [name, sourcePath, baseDir] of [
      ['dotdot', '../../../../../../../../etc/passwd', inbox],
      ['symlink', path.join(inbox, 'passwd-link.csv'), undefined],
      ['basedir', 'passwd', '/etc'],
    ] as const) {
      const r = await create(name, sourcePath, baseDir);
      expect(`${name}: ${r.json?.errors?.[0]?.extensions?.code}`).toBe(`${name}: FORBIDDEN`);
      expect(r.json?.errors?.[0]?.message).toMatch(/outside the engine's source roots/);
      expect(r.text).not.toMatch(/root:x:0:0/);
    }
    // a job saved on a harmless file whose file is then swapped for a link to /etc/passwd
    const file = path.join(inbox, 'swapped', 'daily.csv');
    mkdirSync(path.dirname(file));
    writeFileSync(file, 'root,x,c,d,e\nT1,A,1.00,EUR,2026-01-01\n');
    const saved = await create('swapped', file);
    const jobId = (saved.json as { data?: { createJob?: { job?: { id: string } } } })?.data?.createJob?.job?.id;
    expect(jobId).toBeDefined();
    rmSync(file);
    symlinkSync('/etc/passwd', file);
    const ran = await post(
      JSON.stringify({
        query: 'mutation($j: ID!) { runJob(jobId: $j) { run { id status errorMessage } } }',
        variables: { j: jobId },
      }),
      operator,
    );
    expect(ran.text).not.toMatch(/root:x:0:0|\/bin\/(ba)?sh|nologin/);
    // refused at RunJob, before the run exists: no run, so no error message and no dead letter to hold it
    expect(ran.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      strongroomCode: 'SOURCE_OUTSIDE_ROOTS',
    });
    const runs = await post(
      JSON.stringify({ query: `{ runs(jobId: "${jobId}") { edges { node { id } } } }` }),
      auditor,
    );
    expect(runs.json).toEqual({ data: { runs: { edges: [] } } });
  });
});
