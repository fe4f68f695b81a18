// Rewrites libs/db/schema.sql from the migrations: throwaway PostgreSQL, migrate, dump. `npm run schema:dump`
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDataSource, dumpSchema, runMigrations } from '@strongroom/db';
import { startCluster } from '@strongroom/embedded-pg';

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strongroom-test-${process.pid}-`));
  fs.chmodSync(dir, 0o755);
  const cluster = await startCluster({ dataDir: path.join(dir, 'data'), ephemeral: true });
  try {
    const ds = createDataSource({ url: cluster.url, poolSize: 2 });
    await ds.initialize();
    await runMigrations(ds);
    const out = path.resolve(__dirname, '..', 'libs', 'db', 'schema.sql');
    fs.writeFileSync(out, await dumpSchema(ds));
    await ds.destroy();
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
