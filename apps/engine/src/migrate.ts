import { createDataSource, runMigrations } from '@strongroom/db';
import { loadConfig } from './config';

/**
 * `node bin/run-ts.js apps/engine/src/migrate.ts`: applies pending migrations to DATABASE_URL and
 * exits (the engine also migrates on start). Prints one line per applied migration.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const ds = createDataSource({ url: config.databaseUrl, poolSize: 2, applicationName: 'strongroom-migrate' });
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
    process.stdout.write(applied.length ? applied.map((m) => `applied ${m}\n`).join('') : 'schema is up to date\n');
  } finally {
    await ds.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`migration failed: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
