// A throwaway, migrated PostgreSQL for the developer tools (schema dump, benchmarks, profiling).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDataSource, runMigrations } from '@strongroom/db';
import { startCluster, type Cluster } from '@strongroom/embedded-pg';

/**
 * Starts a cluster in a temp dir (named so orphan cleanup finds it), migrates it, runs `fn`, removes it.
 * `settings`: extra server settings (`-c name=value`), e.g. to preload pg_stat_statements.
 */
export async function withThrowawayDatabase<T>(
  fn: (cluster: Cluster, dir: string) => Promise<T>,
  settings?: Record<string, string>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strongroom-test-${process.pid}-`));
  fs.chmodSync(dir, 0o755);
  const cluster = await startCluster({
    dataDir: path.join(dir, 'data'),
    ephemeral: true,
    ...(settings ? { settings } : {}),
  });
  try {
    const ds = createDataSource({ url: cluster.url, poolSize: 2 });
    await ds.initialize();
    try {
      await runMigrations(ds);
    } finally {
      await ds.destroy();
    }
    return await fn(cluster, dir);
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
