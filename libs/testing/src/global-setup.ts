import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupOrphanClusters, startCluster, type Cluster } from '@strongroom/embedded-pg';
import { createDataSource, runMigrations } from '@strongroom/db';
import { ENV_SERVER_URL, ENV_TEMPLATE_DB, TEMPLATE_DB } from './harness-env';

declare global {
  var __strongroomCluster: { cluster: Cluster; dir: string } | undefined;
}

/**
 * Jest global setup: one throwaway PostgreSQL cluster per test run, with a migrated template database
 * that each test file clones (CREATE DATABASE … TEMPLATE). Removes clusters orphaned by killed runs.
 */
export default async function globalSetup(): Promise<void> {
  await cleanupOrphanClusters();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strongroom-test-${process.pid}-`));
  fs.chmodSync(dir, 0o755);
  const cluster = await startCluster({ dataDir: path.join(dir, 'data'), ephemeral: true, database: TEMPLATE_DB });
  globalThis.__strongroomCluster = { cluster, dir };
  const ds = createDataSource({ url: cluster.url, poolSize: 2 });
  await ds.initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
  process.env[ENV_SERVER_URL] = cluster.serverUrl('').replace(/\/$/, '');
  process.env[ENV_TEMPLATE_DB] = TEMPLATE_DB;
}
