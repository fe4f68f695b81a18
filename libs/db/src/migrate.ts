import { type DataSource } from 'typeorm';

/** Advisory lock key shared by every engine: "strongroom" migrations. */
export const MIGRATION_LOCK_KEY = 7_382_611_001;

/**
 * Runs pending migrations under a session-level advisory lock, so two engines starting at once are
 * safe: the second waits, then finds nothing to do. All pending migrations run in one transaction.
 * Returns the names of the migrations applied. Needs two pooled connections (the lock holder and
 * the migration transaction).
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await ds.runMigrations({ transaction: 'all' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
