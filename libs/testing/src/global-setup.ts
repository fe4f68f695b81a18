import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupOrphanClusters, startCluster, type Cluster } from '@strongroom/embedded-pg';
import { execFileSync } from 'node:child_process';
import { childBaseEnv, ENV_SERVER_URL, ENV_TEMPLATE_DB, TEMPLATE_DB } from './harness-env';

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
  // Migrate the template with the engine's own migration entry point (a process, so this harness
  // does not depend on libs/db and the db project's tests can use it).
  const root = path.resolve(__dirname, '..', '..', '..');
  try {
    execFileSync(
      process.execPath,
      [path.join(root, 'bin', 'run-ts.js'), path.join(root, 'apps', 'engine', 'src', 'migrate.ts')],
      {
        cwd: root,
        env: { ...childBaseEnv(), DATABASE_URL: cluster.url },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  } catch (err) {
    await cluster.stop();
    throw new Error(`migrating the test template failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
  process.env[ENV_SERVER_URL] = cluster.serverUrl('').replace(/\/$/, '');
  process.env[ENV_TEMPLATE_DB] = TEMPLATE_DB;
}
