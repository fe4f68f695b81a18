import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDevToken } from '@strongroom/auth';
import { silentLogger } from '@strongroom/logging';
import {
  type EngineProcess,
  type TestDatabase,
  createTestDatabase,
  holdTableLock,
  querySql,
  startEngineProcess,
} from '@strongroom/testing';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

const SECRET = 'actors-test-secret-of-at-least-32-characters';
const token = (sub: string, role: string) => signDevToken({ sub, roles: [role], ttlSeconds: 600 }, SECRET);

/**
 * The person who asked is the actor (issue 16, item 1): actions done through the gateway — define, run,
 * cancel, purge, key rotation, hold — are audited as `user:<sub>` of the caller's own token (the gateway
 * forwards it), never as `service:engine`, and the SOX report's access section lists those people. Before,
 * the gateway's actions reached the audit chain as the engine's, and the SOX report dropped them.
 */
describe('actors of actions done through the gateway (real engine and gateway)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'strongroom-actors-'));
  let db: TestDatabase;
  let engine: EngineProcess;
  let gateway: RunningGateway;

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

  async function gql<T>(who: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${who}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  it('audits run, cancel, purge, rotation and holds as the person who asked, and the SOX report lists them', async () => {
    const ops = token('olga', 'operator');
    const admin = token('ann', 'admin');
    const auditor = token('audrey', 'auditor');
    const from = new Date(Date.now() - 60_000).toISOString();
    const csv = path.join(dir, 'actors.csv');
    writeFileSync(
      csv,
      [
        'id,acct,amt,ccy,ts',
        ...Array.from({ length: 50 }, (_, i) => `T${i},ACC${i % 5},${i + 1}.00,EUR,2026-01-02`),
      ].join('\n'),
    );
    const job = await gql<{ createJob: { job: { id: string } } }>(
      ops,
      'mutation($d: String!) { createJob(definition: $d) { job { id } } }',
      {
        d: `name: actors\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }\n`,
      },
    );
    // the run's first batch waits on a lock the test holds, so the cancel lands while it runs
    const release = await holdTableLock(db.url, 'transactions');
    let runId: string;
    let cancelled: Promise<unknown> | undefined;
    try {
      const ran = await gql<{ runJob: { run: { id: string } } }>(
        ops,
        'mutation($j: ID!) { runJob(jobId: $j) { run { id } } }',
        { j: job.createJob.job.id },
      );
      runId = ran.runJob.run.id;
      // the engine answers the cancel once the batch in flight has ended: let the batch go after a moment
      cancelled = gql(ops, 'mutation($r: ID!) { cancelRun(id: $r) { id } }', { r: runId });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await release();
    }
    await cancelled;
    let run = { status: '', loaded: 0, inSink: -1 };
    for (let i = 0; i < 100 && run.status !== 'CANCELLED'; i++) {
      run = (await gql<{ run: typeof run }>(ops, `{ run(id: "${runId}") { status loaded inSink } }`)).run;
      if (run.status !== 'CANCELLED') await new Promise((r) => setTimeout(r, 100));
    }
    // a cancelled run says what stays: nothing (its loaded rows were removed)
    expect(run).toMatchObject({ status: 'CANCELLED', inSink: 0 });
    await gql(admin, 'mutation { purgeExpired(dryRun: false, reason: "quarterly purge") { purged } }');
    await gql(admin, 'mutation { rotateFieldKeys { id } }');
    await gql(auditor, 'mutation { placeLegalHold(scope: ACCOUNT, value: "ACC1", reason: "litigation") { id } }');

    const actors = Object.fromEntries(
      (
        await querySql<{ action: string; actors: string }>(
          db.url,
          `SELECT action, string_agg(DISTINCT actor, ',') AS actors FROM immutable_audit_log
            WHERE action IN ('job:defined','run:requested','run:cancelled','retention:completed','keys:rotation_started','hold:placed')
            GROUP BY action`,
        )
      ).map((r) => [r.action, r.actors]),
    );
    expect(actors).toEqual({
      'job:defined': 'user:olga',
      'run:requested': 'user:olga',
      'run:cancelled': 'user:olga',
      'retention:completed': 'user:ann',
      'keys:rotation_started': 'user:ann',
      'hold:placed': 'user:audrey',
    });
    const to = new Date(Date.now() + 60_000).toISOString();
    const sox = await gql<{ complianceReport: { json: string } }>(
      auditor,
      'query($f: String!, $t: String!) { complianceReport(framework: "SOX", from: $f, to: $t) { json } }',
      { f: from, t: to },
    );
    const report = JSON.parse(sox.complianceReport.json) as { sections: { name: string; rows: { actor: string }[] }[] };
    const access = report.sections.find((s) => s.name.startsWith('access'));
    expect(new Set(access?.rows.map((r) => r.actor))).toEqual(new Set(['user:olga', 'user:ann', 'user:audrey']));
  }, 90_000);
});
