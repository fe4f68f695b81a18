// Rewrites libs/db/schema.sql from the migrations: throwaway PostgreSQL, migrate, dump. `npm run schema:dump`
import fs from 'node:fs';
import path from 'node:path';
import { createDataSource, dumpSchema } from '@strongroom/db';
import { withThrowawayDatabase } from './throwaway-db';

withThrowawayDatabase(async (cluster) => {
  const ds = createDataSource({ url: cluster.url, poolSize: 2 });
  await ds.initialize();
  try {
    const out = path.resolve(__dirname, '..', 'libs', 'db', 'schema.sql');
    fs.writeFileSync(out, await dumpSchema(ds));
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await ds.destroy();
  }
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
