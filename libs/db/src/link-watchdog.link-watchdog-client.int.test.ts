import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createTestDatabase, startFaultProxy, type FaultProxy, type TestDatabase } from '@strongroom/testing';
import { createDataSource, pgClientOf, type DataSource } from './index';

/**
 * The client-side watchdog against a real PostgreSQL behind a fault proxy: a blackholed link (bytes
 * vanish, nothing resets) fails the statement with ETIMEDOUT after the client timeout instead of hanging,
 * the dead connection leaves the pool, and the server ends its backends once the link heals.
 */
describe('linkWatchdogClient', () => {
  let db: TestDatabase;
  let proxy: FaultProxy;
  let ds: DataSource;
  const app = `watchdog-${process.pid}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = Number(new URL(db.url).port);
    proxy = await startFaultProxy({ host: '127.0.0.1', port });
    ds = createDataSource({
      url: db.url.replace(`:${port}/`, `:${proxy.port}/`),
      poolSize: 2,
      statementTimeoutMs: 1000,
      clientTimeoutMs: 1500,
      connectTimeoutMs: 1500,
      applicationName: app,
    });
    await ds.initialize();
  });
  afterAll(async () => {
    proxy.setMode({ mode: 'pass' });
    await ds?.destroy();
    await proxy?.close();
    await db?.drop();
  });

  async function backends(): Promise<number> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [app]))
        .rows[0].n;
    } finally {
      await c.end();
    }
  }

  it('lets a statement that is silent for less than the timeout finish', async () => {
    await expect(ds.query(`SELECT 'slept' AS r FROM pg_sleep(0.9)`)).resolves.toEqual([{ r: 'slept' }]);
  });

  it('fails a statement on a blackholed link with ETIMEDOUT after the client timeout, then works again once the link heals', async () => {
    await ds.query('SELECT 1'); // one pooled connection, established
    proxy.setMode({ mode: 'blackhole' });
    const t0 = Date.now();
    const err = await ds.query('SELECT 1').then(
      () => undefined,
      (e: unknown) => e as { code?: string; driverError?: { code?: string } },
    );
    const elapsed = Date.now() - t0;
    expect(err?.driverError?.code ?? err?.code).toBe('ETIMEDOUT');
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(5000);

    proxy.setMode({ mode: 'pass' });
    await expect(ds.query('SELECT 2 AS two')).resolves.toEqual([{ two: 2 }]);
    // the killed connection's backend goes away; at most the pool size remains
    for (const until = Date.now() + 10_000; (await backends()) > 2 && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 100));
    expect(await backends()).toBeLessThanOrEqual(2);
  }, 20_000);

  it('fails a COPY whose end never comes back, and the pool drops the connection', async () => {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('CREATE TEMP TABLE watchdog_copy (n int)');
      proxy.setMode({ mode: 'blackhole' });
      const client = pgClientOf(runner);
      const copy = client.query(copyFrom('COPY watchdog_copy (n) FROM STDIN'));
      const done = new Promise<void>((resolve, reject) => {
        copy.on('finish', resolve);
        copy.on('error', reject);
      });
      for (let i = 0; i < 1000; i++) copy.write(`${i}\n`);
      copy.end();
      await expect(done).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    } finally {
      proxy.setMode({ mode: 'pass' });
      await runner.release();
    }
    await expect(ds.query('SELECT 3 AS three')).resolves.toEqual([{ three: 3 }]);
    for (const until = Date.now() + 10_000; (await backends()) > 2 && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 100));
    expect(await backends()).toBeLessThanOrEqual(2);
  }, 20_000);
});
