// Loads a generated transactions file through the full pipeline in-process and prints throughput
// and batch commit latency: `node bin/run-ts.js tools/profile-run.ts [rows]` (add --cpu-prof to node
// to profile). A developer tool; `npm run bench` (issue 9) is the benchmark of record.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPanProtector } from '@strongroom/compliance';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { createDataSource } from '@strongroom/db';
import { withThrowawayDatabase } from './throwaway-db';
import { createLogger } from '@strongroom/logging';
import { createRun, executeRun, getJob, parseJobDefinition, RunControl, saveJob } from '@strongroom/pipeline';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 200_000);
  // optional batching override, e.g. "{ minSize: 10000, maxSize: 10000 }" to compare memory at a fixed batch size
  const batching = process.argv[3] ?? '{ minSize: 5000, maxSize: 50000, targetCommitMs: 500 }';
  await withThrowawayDatabase(async (cluster, dir) => {
    const ds = createDataSource({ url: cluster.url, poolSize: 4 });
    try {
      await ds.initialize();
      const csv = path.join(dir, 'tx.csv');
      const gen = await generateTransactionsCsv(csv, { rows });
      const def = parseJobDefinition(
        `name: profile\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }\nbatching: ${batching}\n`,
      );
      const job = await getJob(ds, (await saveJob(ds, def)).job.id);
      const { run } = await createRun(ds, job);
      const t0 = performance.now();
      const done = await executeRun(
        { ds, logger: createLogger({ service: 'profile', level: 'warn' }), pan: createPanProtector({ id: 'p', secret: Buffer.alloc(32, 1) }) },
        run,
        job,
        new RunControl(),
        () => undefined,
      );
      const s = (performance.now() - t0) / 1000;
      const [m] = await ds.query('SELECT batch_p50_ms, batch_p99_ms, peak_rss_bytes FROM performance_metrics WHERE run_id = $1', [run.id]);
      console.log(
        `${done.status} ${done.errorCode ?? ''} read ${done.recordsRead} loaded ${done.recordsLoaded} dlq ${done.recordsDeadLettered} (expected bad ${gen.bad}) in ${s.toFixed(2)} s = ` +
          `${Math.round(rows / s)} rows/s; batches ${done.batchesCommitted}, p50 ${m.batch_p50_ms} ms, p99 ${m.batch_p99_ms} ms, peak RSS ${Math.round(m.peak_rss_bytes / 1048576)} MiB`,
      );
    } finally {
      await ds.destroy();
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
