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
