import { Client } from 'pg';

/** Runs one SQL statement on a test database (fixtures and checks in tests that may not import pg themselves). */
export async function querySql<T = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Runs statements one after the other in one session (e.g. a SET then a check); returns the last one's rows. */
export async function querySession<T = Record<string, unknown>>(url: string, statements: string[]): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    let rows: T[] = [];
    for (const text of statements) rows = (await c.query(text)).rows as T[];
    return rows;
  } finally {
    await c.end();
  }
}

/**
 * Holds an EXCLUSIVE lock on `table` (writes wait, reads go on) in a transaction of its own until the
 * returned release is called: a run's first batch then waits, so a test can act on a run while it is surely
 * running, and everything that only reads still answers.
 */
export async function holdTableLock(url: string, table: string): Promise<() => Promise<void>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query('BEGIN');
  await c.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  return async () => {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.end();
  };
}

/**
 * Waits until some session waits for a lock on `table` (e.g. a run's first batch behind holdTableLock):
 * a run marked RUNNING may still be planning, so a test that must act mid-batch waits for this, not the status.
 */
export async function waitForLockWaiter(url: string, table: string, timeoutMs = 20_000): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await c.query<{ n: number }>(
        // this database's table only: test databases are clones of one template, with the same table oids
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE relation = $1::regclass AND NOT granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [table],
      );
      if ((rows[0]?.n ?? 0) > 0) return;
      if (Date.now() > until) throw new Error(`no session waited for a lock on ${table} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await c.end();
  }
}
