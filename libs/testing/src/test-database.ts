import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ENV_SERVER_URL, ENV_TEMPLATE_DB } from './harness-env';

export interface TestDatabase {
  /** postgres:// URL of a fresh, migrated database owned by this test file. */
  url: string;
  name: string;
  /** Drops the database (terminating leftover sessions). */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env[ENV_SERVER_URL];
  if (!url)
    throw new Error('no test PostgreSQL: run integration tests through their jest.int.config.js (global setup)');
  return url;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: `${serverUrl()}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new database cloned from the migrated template: fast, isolated, real PostgreSQL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const template = process.env[ENV_TEMPLATE_DB] as string;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    name,
    url: `${serverUrl()}/${name}`,
    drop: () =>
      admin(async (c) => {
        await c.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      }),
  };
}
