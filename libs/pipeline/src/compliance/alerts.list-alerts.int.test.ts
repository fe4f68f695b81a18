import { createDataSource, runMigrations, type DataSource } from '@strongroom/db';
import { createTestDatabase, makeTempDir, writeTempFile, type TestDatabase } from '@strongroom/testing';
import { createRun, getJob, listAlerts, parseJobDefinition, saveJob } from '../index';

/**
 * Listing alerts page by page: a batch's alerts share one `created_at` (the transaction's, to the microsecond),
 * so a page token must continue inside such a group, not after it; and the work queue's order (PRIORITY) gives
 * the highest score first across every alert that matches, not only among the newest.
 */
describe('listAlerts', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const dir = makeTempDir();
  let jobId = '';
  let runId = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 3 });
    await ds.initialize();
    await runMigrations(ds);
    const file = writeTempFile(dir, 'a.csv', 'id,acct,amt,ccy,ts\na,A,1.00,EUR,2026-01-01\n');
    const { job } = await saveJob(
      ds,
      parseJobDefinition(
        `name: alerts-list\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }\n`,
      ),
    );
    jobId = job.id;
    runId = (await createRun(ds, await getJob(ds, job.id))).run.id;
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** Inserts `n` alerts of `rule` with `score` in one transaction (one created_at, as a batch's are). */
  async function insertBatch(prefix: string, n: number, rule: string, score: number): Promise<void> {
    await ds.query(
      `INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
       SELECT $1, $2 || i, $3, 'sys', $2 || i, 'ACC' || i, '2026-01-01T00:00:00Z', $4, $5, '{}'::jsonb
         FROM generate_series(1, $6::int) i`,
      [rule, prefix, score, jobId, runId, n],
    );
  }

  async function all(order: 'newest' | 'priority' | undefined, size: number) {
    const seen: { id: string; score: number; createdAt: Date }[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const { alerts, next } = await listAlerts(ds, { status: 'OPEN' }, size, token, order);
      seen.push(...alerts.map((a) => ({ id: a.id, score: a.score, createdAt: a.createdAt })));
      if (!next) return seen;
      token = next;
    }
    throw new Error('more than 100 pages');
  }

  it('pages through alerts that share one created_at, each once, in either order', async () => {
    await insertBatch('old-sanction-', 3, 'SANCTIONS', 90);
    await new Promise((r) => setTimeout(r, 5)); // a later transaction
    await insertBatch('new-large-', 130, 'LARGE_TRANSACTION', 60);
    for (const order of ['newest', 'priority', undefined] as const) {
      const seen = await all(order, 50);
      expect(seen).toHaveLength(133);
      expect(new Set(seen.map((a) => a.id)).size).toBe(133);
    }
  });

  it('orders the work queue by score across all matching alerts, newest first within a score', async () => {
    const newest = await listAlerts(ds, { status: 'OPEN' }, 100, undefined, 'newest');
    expect(newest.alerts.every((a) => a.rule === 'LARGE_TRANSACTION')).toBe(true); // the older SANCTIONS are not among them
    const queue = await all('priority', 40);
    expect(queue.slice(0, 3).map((a) => a.score)).toEqual([90, 90, 90]);
    for (let i = 1; i < queue.length; i++) {
      const [a, b] = [queue[i - 1], queue[i]] as [(typeof queue)[number], (typeof queue)[number]];
      expect(a.score > b.score || (a.score === b.score && a.createdAt >= b.createdAt)).toBe(true);
    }
  });

  it('refuses a token of one order for the other', async () => {
    const first = await listAlerts(ds, { status: 'OPEN' }, 10, undefined, 'newest');
    await expect(listAlerts(ds, { status: 'OPEN' }, 10, first.next, 'priority')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const queued = await listAlerts(ds, { status: 'OPEN' }, 10, undefined, 'priority');
    await expect(listAlerts(ds, { status: 'OPEN' }, 10, queued.next, 'newest')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
