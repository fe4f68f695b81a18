import { Client } from 'pg';
import { createTestDatabase } from './index';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('createTestDatabase', () => {
  it('gives each caller its own migrated database; changes in one are invisible in another', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      const migrations = await query<{ n: number }>(a.url, 'SELECT count(*)::int AS n FROM schema_migrations');
      expect(migrations[0]?.n).toBeGreaterThanOrEqual(1);
      await query(a.url, "INSERT INTO circuit_breaker_states (name, state) VALUES ('only-in-a', 'OPEN')");
      expect(await query(b.url, 'SELECT name FROM circuit_breaker_states')).toEqual([]);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('drops the database even while a session is still connected', async () => {
    const db = await createTestDatabase();
    const open = new Client({ connectionString: db.url });
    await open.connect();
    open.on('error', () => undefined); // terminated by drop()
    await db.drop();
    const admin = db.url.replace(/\/[^/]+$/, '/postgres');
    expect(await query(admin, `SELECT datname FROM pg_database WHERE datname = '${db.name}'`)).toEqual([]);
    await open.end().catch(() => undefined);
  });
});
