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
