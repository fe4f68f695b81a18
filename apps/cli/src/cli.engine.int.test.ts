import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import {
  childBaseEnv,
  createTestDatabase,
  makeTempDir,
  promSample,
  runCli,
  TEST_JWT_SECRET,
  testToken,
  writeTempFile,
  type TestDatabase,
} from '@strongroom/testing';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'strongroom.js');

/** `strongroom engine`: replicas against one DATABASE_URL, each printing `ready`, stopping gracefully on Ctrl-C. */
describe('strongroom engine (one replica against DATABASE_URL)', () => {
  let db: TestDatabase;
  const dir = makeTempDir();
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    // the whole process group: the CLI and the engine it started (a failed test leaves no engine behind)
    for (const c of children) {
      try {
        process.kill(-(c.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await db?.drop();
  });

  function replica(
    id: string,
  ): Promise<{ child: ChildProcess; address: string; metricsUrl: string | undefined; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [BIN, 'engine'], {
      env: {
        ...childBaseEnv(),
        DATABASE_URL: db.url,
        STRONGROOM_HOME: path.join(dir, 'home'),
        STRONGROOM_SOURCE_ROOTS: dir,
        ENGINE_PORT: '0',
        ENGINE_REPLICA_ID: id,
        GATEWAY_JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'warn',
      },
      detached: true, // its own process group, like a shell's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`engine ${id} not ready:\n${out}`)), 90_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        const m = /engine ready (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ child, address: m[1] as string, metricsUrl: /engine metrics (\S+)/.exec(out)?.[1], exited });
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`engine ${id} exited (${code}):\n${out}`)));
    });
  }

  it('refuses to start without DATABASE_URL, pointing to serve', async () => {
    const r = await runCli(['engine'], { DATABASE_URL: '', STRONGROOM_HOME: path.join(dir, 'none') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('set DATABASE_URL');
    expect(r.stderr).toContain('strongroom serve');
  });

  it('runs two replicas on one database: both ready and registered, a run through either, Ctrl-C stops each with exit 0', async () => {
    const [a, b] = await Promise.all([replica('cli-replica-a'), replica('cli-replica-b')]);
    expect(a.address).not.toBe(b.address);
    // each runs with the engine's Node flags (ENGINE_NODE_FLAGS): semi-spaces of 64 MB, where V8's default stops at 16
    for (const r of [a, b]) {
      const metrics = await (await fetch(r.metricsUrl as string)).text();
      expect(promSample(metrics, 'nodejs_heap_space_size_total_bytes', 'space="new"')).toBeGreaterThanOrEqual(
        64 * 1024 * 1024,
      );
    }
    writeTempFile(dir, 'jobs/data/e.csv', 'id,acct,amt,ccy,ts\n1,A,1.00,EUR,2026-01-01\n2,A,2.00,EUR,2026-01-01\n');
    const jobFile = writeTempFile(
      dir,
      'jobs/e.yaml',
      'name: replicas\nsource:\n  kind: csv\n  path: data/e.csv\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }\n',
    );
    const ran = await runCli(['run', jobFile, '--json'], {
      STRONGROOM_ENGINE: b.address,
      STRONGROOM_TOKEN: testToken(),
    });
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(ran.stdout.trim().split('\n').pop() as string)).toMatchObject({ status: 'SUCCEEDED', loaded: 2 });

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const live = async () =>
        (await pg.query(`SELECT id, address, stopped_at FROM engine_replicas ORDER BY id`)).rows as {
          id: string;
          address: string;
          stopped_at: Date | null;
        }[];
      expect((await live()).map((r) => [r.id, r.address, r.stopped_at])).toEqual([
        ['cli-replica-a', a.address, null],
        ['cli-replica-b', b.address, null],
      ]);
      for (const r of [a, b]) process.kill(-(r.child.pid as number), 'SIGINT');
      expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
      expect((await live()).every((r) => r.stopped_at instanceof Date)).toBe(true);
    } finally {
      await pg.end();
    }
  }, 180_000);
});
