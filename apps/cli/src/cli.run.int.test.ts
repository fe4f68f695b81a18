import { Client } from 'pg';
import path from 'node:path';
import {
  createTestDatabase,
  holdTableLock,
  makeTempDir,
  runCli,
  startEngineProcess,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const cli = runCli;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;

describe('strongroom CLI against a real engine', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let env: Record<string, string>;
  const dir = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${dir}/home`, LOG_LEVEL: 'info' }, // the pause test waits for its request's log line
    });
    env = { STRONGROOM_ENGINE: engine.address, STRONGROOM_TOKEN: engine.token };
  });
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  const job = (name: string, csv: string, ratio = '0.5') =>
    `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }\nerrors: { maxRejectRatio: ${ratio} }\n`;

  it('runs a job file with relative paths and prints the JSON summary last, exit 0', async () => {
    writeTempFile(
      dir,
      'jobs/data/a.csv',
      'id,acct,amt,ccy,ts\n1,A,1.00,USD,2026-01-01\n2,A,2.50,USD,2026-01-01\n3,A,x,USD,2026-01-01\n',
    );
    const jobFile = writeTempFile(dir, 'jobs/a.yaml', job('cli-a', 'data/a.csv'));
    const r = await cli(['run', jobFile, '--follow', '--json'], env);
    expect(r.code).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      read: 3,
      loaded: 2,
      deadLettered: 1,
      reconciled: true,
      totals: [{ currency: 'USD', count: 2, amount: '3.50' }],
    });
    expect(lastJson(r.stdout).runId).toMatch(/^[0-9a-f-]{36}$/);

    const list = await cli(['dlq', 'list', '--run', String(lastJson(r.stdout).runId), '--json'], env);
    expect(list.code).toBe(0);
    const entries = lastJson(list.stdout).deadLetters as { id: string; reasonCode: string; recordNo: number }[];
    expect(entries.map((e) => [e.recordNo, e.reasonCode])).toEqual([[3, 'INVALID_AMOUNT']]);
    expect((await cli(['dlq', 'discard', entries[0]?.id as string], env)).code).toBe(2); // a reason is required
    const discarded = await cli(
      ['dlq', 'discard', entries[0]?.id as string, '--reason', 'typo in the source, re-sent by the bank', '--json'],
      env,
    );
    expect(lastJson(discarded.stdout)).toEqual({ discarded: 1, skipped: 0 });
  });

  it("run --file loads a new day's file with the job as it is (no new version), and the same file once", async () => {
    writeTempFile(dir, 'daily/feed-1.csv', 'id,acct,amt,ccy,ts\n1,A,1.00,EUR,2026-01-01\n');
    const day2 = writeTempFile(
      dir,
      'daily/feed-2.csv',
      'id,acct,amt,ccy,ts\n7,B,7.00,EUR,2026-01-02\n8,B,0.25,EUR,2026-01-02\n',
    );
    const jobFile = writeTempFile(dir, 'daily/feed.yaml', job('cli-daily', 'feed-1.csv'));
    const first = await cli(['run', jobFile, '--json'], env);
    expect(lastJson(first.stdout)).toMatchObject({ status: 'SUCCEEDED', jobVersion: 1, loaded: 1 });
    // PATH relative to the current directory (the repository's root, where runCli starts the CLI)
    const rel = path.relative(path.resolve(__dirname, '..', '..', '..'), day2);
    const second = await cli(['run', jobFile, '--file', rel, '--json'], env);
    expect(second.code).toBe(0);
    expect(lastJson(second.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      jobVersion: 1,
      loaded: 2,
      sourcePath: day2,
      totals: [{ currency: 'EUR', count: 2, amount: '7.25' }],
    });
    const again = await cli(['run', jobFile, '--file', day2, '--json'], env);
    expect(lastJson(again.stdout)).toMatchObject({ runId: lastJson(second.stdout).runId, existing: true });
    const plain = await cli(['run', jobFile, '--file', day2], env);
    expect(plain.stderr).toContain('job unchanged: cli-daily v1; this file was already submitted');
  });

  it('exits 1 when the run fails, with the reason in the summary', async () => {
    writeTempFile(dir, 'jobs/data/b.csv', 'id,acct,amt,ccy,ts\n1,A,bad,USD,2026-01-01\n2,A,1,USD,2026-01-01\n');
    const jobFile = writeTempFile(dir, 'jobs/b.yaml', job('cli-b', 'data/b.csv', '0.1'));
    const r = await cli(['run', jobFile, '--json'], env);
    expect(r.code).toBe(1);
    expect(lastJson(r.stdout)).toMatchObject({
      status: 'FAILED',
      errorCode: 'REJECT_RATIO_EXCEEDED',
      read: 2,
      deadLettered: 1,
    });
  });

  it('--detach returns the run id at once and status --wait blocks until it ends', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},A,${i}.00,EUR,2026-01-01`).join('\n');
    writeTempFile(dir, 'jobs/data/c.csv', `id,acct,amt,ccy,ts\n${rows}\n`);
    const jobFile = writeTempFile(dir, 'jobs/c.yaml', job('cli-c', 'data/c.csv'));
    // the run's first batch waits on a lock the test holds: the run cannot end before the test lets it
    const release = await holdTableLock(db.url, 'transactions');
    let waiting: ReturnType<typeof cli> | undefined;
    let runId: unknown;
    try {
      const d = await cli(['run', jobFile, '--detach', '--json'], env);
      expect(d.code).toBe(0);
      runId = lastJson(d.stdout).runId;
      let returned = false;
      waiting = cli(['status', String(runId), '--wait', '--json'], env);
      void waiting.then(() => (returned = true));
      await new Promise((r) => setTimeout(r, 1500));
      expect(returned).toBe(false); // it waits while the run is held
    } finally {
      await release();
    }
    const s = await (waiting as ReturnType<typeof cli>);
    expect(s.code).toBe(0);
    expect(lastJson(s.stdout)).toMatchObject({ runId, status: 'SUCCEEDED', read: 3000, loaded: 3000, deadLettered: 0 });
    const human = await cli(['status', String(runId)], env);
    expect(human.stdout).toContain('reconciliation: OK');
  });

  it('pause and resume print the state they led to, not the one before', async () => {
    const rows = Array.from({ length: 4_000 }, (_, i) => `p${i},A,${i}.00,EUR,2026-01-01`).join('\n');
    writeTempFile(dir, 'jobs/data/p.csv', `id,acct,amt,ccy,ts\n${rows}\n`);
    const jobFile = writeTempFile(
      dir,
      'jobs/p.yaml',
      `${job('cli-p', 'data/p.csv')}batching: { minSize: 200, maxSize: 200 }\n`,
    );
    // the run's first batch waits on this lock, so the pause lands mid-run however fast the machine is
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE transactions IN EXCLUSIVE MODE');
      const { runId } = lastJson((await cli(['run', jobFile, '--detach', '--json'], env)).stdout);
      const status = async () =>
        (await pg.query(`SELECT status FROM job_runs WHERE id = $1`, [runId])).rows[0]?.status as string;
      for (let i = 0; i < 200 && (await status()) !== 'RUNNING'; i++) await sleep(50);
      expect(await status()).toBe('RUNNING');
      const pausing = cli(['pause', String(runId), '--json'], env);
      const requested = () =>
        engine
          .output()
          .split('\n')
          .some((line) => line.includes('"run:pause-requested"') && line.includes(String(runId)));
      for (let i = 0; i < 300 && !requested(); i++) await sleep(50);
      expect(requested()).toBe(true);
      await pg.query('COMMIT'); // the batch commits, and the executor pauses before the next one
      const paused = await pausing;
      expect(paused.code).toBe(0);
      expect(lastJson(paused.stdout)).toMatchObject({ runId, status: 'PAUSED' });
      const resumed = lastJson((await cli(['resume', String(runId), '--json'], env)).stdout);
      expect(['RUNNING', 'SUCCEEDED']).toContain(resumed['status']);
      expect(lastJson((await cli(['status', String(runId), '--wait', '--json'], env)).stdout)).toMatchObject({
        status: 'SUCCEEDED',
        read: 4_000,
      });
    } finally {
      await pg.query('ROLLBACK').catch(() => undefined);
      await pg.end();
    }
  }, 60_000);

  it('reports usage errors, unreadable job files and an unreachable engine with clear messages', async () => {
    expect((await cli(['run'], env)).code).toBe(2);
    const missing = await cli(['run', path.join(dir, 'nope.yaml')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read job file');
    const invalid = await cli(['run', writeTempFile(dir, 'jobs/bad.yaml', 'name: Bad Name\n'), '--json'], env);
    expect(invalid.code).toBe(1);
    expect(String(lastJson(invalid.stdout).error)).toMatch(/^invalid job definition: name /);
    const down = await cli(['status', '00000000-0000-0000-0000-000000000000'], {
      STRONGROOM_ENGINE: '127.0.0.1:1',
      STRONGROOM_CLI_DEADLINE_MS: '2000',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/engine unavailable|Deadline/);
    const nothing = await cli(['inspect', 'no-such-file.ach'], env);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('cannot read no-such-file.ach (ENOENT)');
  });

  it('verifies the audit chain and a run from the command line, exit code 1 once tampered', async () => {
    const ok = await cli(['audit', 'verify', '--json'], env);
    expect(ok.code).toBe(0);
    expect(lastJson(ok.stdout)).toMatchObject({ ok: true, firstBadSeq: null, kind: null });
    const exported = await cli(['audit', 'export-checkpoint'], env);
    expect(exported.code).toBe(0);
    const file = writeTempFile(dir, 'checkpoint.json', exported.stdout);
    expect(JSON.parse(exported.stdout)).toMatchObject({
      format: 'strongroom-audit-checkpoint/v1',
      seq: expect.any(Number),
      signature: expect.any(String),
    });
    expect((await cli(['audit', 'verify', '--checkpoint', file, '--json'], env)).code).toBe(0);
    const cp = JSON.parse(exported.stdout) as { seq: number; entryHashes: { fromSeq: number; prefixes: string } };
    expect(cp.entryHashes).toMatchObject({ fromSeq: 1 });
    expect(cp.entryHashes.prefixes).toHaveLength(cp.seq * 16); // every entry's hash, to name a rewrite where it starts
    // incremental verification says what it did not check
    const incremental = await cli(['audit', 'verify', '--incremental'], env);
    expect(incremental.code).toBe(0);
    expect(incremental.stdout).toContain(
      `not checked: entries 1–${cp.seq}, trusted by the signed checkpoint at seq ${cp.seq} (run without --incremental to check them)`,
    );
    expect(lastJson((await cli(['audit', 'verify', '--incremental', '--json'], env)).stdout)).toMatchObject({
      ok: true,
      trustedThroughSeq: cp.seq,
    });

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const [run] = (await pg.query(`SELECT id FROM job_runs WHERE status = 'SUCCEEDED' ORDER BY created_at LIMIT 1`))
        .rows;
      expect(lastJson((await cli(['verify-run', run.id, '--json'], env)).stdout)).toMatchObject({ ok: true });
      await pg.query(
        `UPDATE transactions SET account = 'SOMEONE-ELSE' WHERE id = (SELECT min(id) FROM transactions WHERE run_id = $1)`,
        [run.id],
      );
      const bad = await cli(['verify-run', run.id, '--json'], env);
      expect(bad.code).toBe(1);
      expect(lastJson(bad.stdout)).toMatchObject({ ok: false, firstBadBatch: 1 });

      await pg.query('ALTER TABLE immutable_audit_log DISABLE TRIGGER USER');
      await pg.query(`UPDATE immutable_audit_log SET actor = 'user:mallory' WHERE seq = 2`);
      const tampered = await cli(['audit', 'verify', '--json'], env);
      expect(tampered.code).toBe(1);
      expect(lastJson(tampered.stdout)).toMatchObject({ ok: false, firstBadSeq: 2, kind: 'modified' });
    } finally {
      await pg.end();
    }
  });
});
