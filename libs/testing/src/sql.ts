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
