// Times the lookups that find one run's rows on a large sink, which has no index on the run (a run's
// batches record the id ranges of their rows): a run's totals for reconciliation, a page of its rows, the
// retention dry run of its job, the removal of a failed run's rows. Each should read its run's ranges by
// the primary key, not scan the sink: the tool prints how long each took, and how long a count(*) of the
// whole sink takes for scale (a lookup of one run that takes about as long scans the sink).
//   node bin/run-ts.js tools/run-lookups.ts [rows] [runs]
// A developer tool (for regressions in how these lookups are planned); not a benchmark of record.
import { performance } from 'node:perf_hooks';
import { createDataSource } from '@strongroom/db';
import { purgeExpired, sinkTotals } from '@strongroom/pipeline';
import { withThrowawayDatabase } from './throwaway-db';

const JOB = '00000000-0000-4000-8000-000000000001';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 3_000_000);
  const runs = Number(process.argv[3] ?? 150);
  const perBatch = 5000;
  await withThrowawayDatabase(async (cluster) => {
    const ds = createDataSource({ url: cluster.url, poolSize: 2 });
    await ds.initialize();
    try {
      await ds.query(
        `INSERT INTO jobs (id, name, current_version, source_kind, sink_table) VALUES ($1, 'lookups', 1, 'csv', 'transactions')`,
        [JOB],
      );
      await ds.query(
        `INSERT INTO job_versions (job_id, version, definition, definition_sha256) VALUES ($1, 1, '{}', repeat('b', 64))`,
        [JOB],
      );
      // runs loaded one after another, each in batches that record their id ranges as the engine does
      const ids: string[] = [];
      const perRun = Math.ceil(rows / runs);
      for (let r = 0; r < runs; r++) {
        const [run] = (await ds.query(
          `INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes)
           VALUES (gen_random_uuid(), $1, 1, $2, 'f.csv', md5(random()::text) || md5(random()::text), 0) RETURNING id`,
          [JOB, r === Math.floor(runs / 3) ? 'FAILED' : 'SUCCEEDED'],
        )) as { id: string }[];
        ids.push(run!.id);
        for (let from = 1, seq = 1; from <= perRun; from += perBatch, seq++) {
          const to = Math.min(perRun, from + perBatch - 1);
          const [{ lo }] = (await ds.query(`SELECT nextval('transactions_id_seq')::text AS lo`)) as { lo: string }[];
          await ds.query(
            `INSERT INTO transactions (source_system, txn_id, account, amount, currency, booked_at, run_id, source_record_no, aml_monitored)
             SELECT 's', $1::text || '-' || g, 'DE89370400440532' || lpad((g % 5000)::text, 6, '0'), 10.25, 'EUR',
                    timestamptz '2026-01-01' + (g % 5000000) * interval '1 second', $1::uuid, g, false
               FROM generate_series($2::int, $3::int) g`,
            [run!.id, from, to],
          );
          await ds.query(
            `INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details, first_id, last_id)
             VALUES ($1, $2, 'BATCH', $3, '{}', repeat('c', 64), '{}', $4, currval('transactions_id_seq'))`,
            [run!.id, seq, to - from + 1, lo],
          );
        }
      }
      await ds.query('VACUUM ANALYZE');
      console.log(`sink: ${rows.toLocaleString('en-US')} rows in ${runs} runs of ${perRun.toLocaleString('en-US')}`);
      const run = ids[Math.floor(runs / 2)] as string;
      const time = async (label: string, fn: () => Promise<unknown>) => {
        const t0 = performance.now();
        await fn();
        console.log(`${label.padEnd(44)} ${(performance.now() - t0).toFixed(0).padStart(6)} ms`);
      };
      await time('run totals (reconciliation)', () => sinkTotals(ds, run));
      const page = `SELECT id FROM strongroom_run_rows($1, 0, 10000)`;
      await time('a page of 10,000 of its rows', () => ds.query(page, [run]));
      await time('retention dry run of its job (all its runs)', () =>
        purgeExpired(ds, { INTERNAL: 3650, PUBLIC: 3650, CONFIDENTIAL: 3650, RESTRICTED: 3650 }, 'run-lookups', {
          dryRun: true,
          now: new Date('2026-01-01T00:10:00Z'),
        }),
      );
      await time('removal of a failed run’s rows', () =>
        ds.query('SELECT strongroom_unpublish_run($1)', [ids[Math.floor(runs / 3)]]),
      );
      await time('for scale: count(*) of the whole sink', () => ds.query('SELECT count(*) FROM transactions'));
    } finally {
      await ds.destroy();
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
