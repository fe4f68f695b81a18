// Loads a generated transactions file through the pipeline in-process and prints throughput, batch
// commit latency and the CPU seconds of the engine and of PostgreSQL (which side limits):
//   node bin/run-ts.js tools/profile-run.ts [rows] [batching] [--full] [--alert-heavy] [--accounts N] [--span-hours H] [--debit-share S] [--names N] [--bad RATIO] [--prof FILE] [--alloc FILE] [--pg-statements]
// --full adds SOX, PCI_DSS and AML with OFAC screening; --prof writes a CPU profile of the run alone;
// --alloc writes a sampling heap profile of every allocation during the run (collected ones included);
// --pg-statements prints the statements PostgreSQL spent the run's time on (pg_stat_statements, server side).
// A developer tool; `npm run bench` (issue 9) is the benchmark of record.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createPanProtector, SanctionsIndex } from '@strongroom/compliance';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { createDataSource } from '@strongroom/db';
import { postgresCpuSeconds } from './pg-cpu';
import { withThrowawayDatabase } from './throwaway-db';
import { PG_STATEMENTS_SETTINGS, printStatements, resetStatements } from './pg-statements';
import { createLogger } from '@strongroom/logging';
import { corpusDir } from '@strongroom/testing';
import { createRun, executeRun, getJob, parseJobDefinition, RunControl, saveJob } from '@strongroom/pipeline';
import { runWithEngineFlags } from './engine-flags';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 200_000);
  // optional batching override, e.g. "{ minSize: 10000, maxSize: 10000 }" to compare memory at a fixed batch size
  const batching = process.argv[3]?.startsWith('{')
    ? process.argv[3]
    : '{ minSize: 5000, maxSize: 50000, targetCommitMs: 500 }';
  // --full: SOX, PCI_DSS and AML with OFAC screening (the corpus lists), as `npm run bench` does
  const full = process.argv.includes('--full');
  const lists = corpusDir('sanctions', 'full');
  const statements = process.argv.includes('--pg-statements');
  await withThrowawayDatabase(
    async (cluster, dir) => {
      const ds = createDataSource({ url: cluster.url, poolSize: 4 });
      try {
        await ds.initialize();
        const csv = path.join(dir, 'tx.csv');
        const bad = process.argv.indexOf('--bad');
        // --accounts N --span-hours H: N accounts per country, booked within H hours (busy accounts for the AML windows)
        const accountsAt = process.argv.indexOf('--accounts');
        const spanAt = process.argv.indexOf('--span-hours');
        // --debit-share S: share of debits (near 1 with few accounts: payables accounts, many debits, few credits)
        const debitsAt = process.argv.indexOf('--debit-share');
        // --names N: counterparty names drawn from N distinct made-up names (each new one is screened in full)
        const namesAt = process.argv.indexOf('--names');
        const gen = await generateTransactionsCsv(csv, {
          rows,
          badRatio: bad > 0 ? Number(process.argv[bad + 1]) : 0.01,
          largeAmounts: process.argv.includes('--alert-heavy'),
          ...(accountsAt > 0 ? { accountsPerCountry: Number(process.argv[accountsAt + 1]) } : {}),
          ...(spanAt > 0 ? { spanHours: Number(process.argv[spanAt + 1]) } : {}),
          ...(debitsAt > 0 ? { debitShare: Number(process.argv[debitsAt + 1]) } : {}),
          ...(namesAt > 0 ? { distinctNames: Number(process.argv[namesAt + 1]) } : {}),
        });
        const def = parseJobDefinition(
          `name: profile\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }\nbatching: ${batching}\n` +
            (full ? 'compliance: { frameworks: [SOX, PCI_DSS, AML], sanctions: required }\n' : ''),
        );
        const job = await getJob(ds, (await saveJob(ds, def)).job.id);
        const { run } = await createRun(ds, job);
        // the sanctions index is built before the run is measured (an engine loads its lists once, at its start)
        const screener = full
          ? SanctionsIndex.fromFiles([path.join(lists, 'sdn.csv'), path.join(lists, 'alt.csv')], 0.9)
          : undefined;
        // --prof FILE: a CPU profile of the run alone (not the data generation), for chrome://inspect or speedscope
        const profAt = process.argv.indexOf('--prof');
        const allocAt = process.argv.indexOf('--alloc');
        const session = profAt > 0 || allocAt > 0 ? new inspector.Session() : undefined;
        const post = (method: string, params?: object) =>
          new Promise<unknown>((resolve, reject) =>
            session?.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
          );
        if (session) {
          session.connect();
          if (profAt > 0) {
            await post('Profiler.enable');
            await post('Profiler.start');
          }
          if (allocAt > 0)
            await post('HeapProfiler.startSampling', {
              samplingInterval: 16384,
              includeObjectsCollectedByMajorGC: true,
              includeObjectsCollectedByMinorGC: true,
            });
        }
        if (statements) {
          await resetStatements(ds);
        }
        const pgCpu = postgresCpuSeconds;
        const pg0 = pgCpu();
        const cpu0 = process.cpuUsage();
        // how long the engine's thread held the event loop at a stretch (the database waits meanwhile)
        const delay = monitorEventLoopDelay({ resolution: 10 });
        delay.enable();
        const elu0 = performance.eventLoopUtilization();
        const t0 = performance.now();
        const done = await executeRun(
          {
            ds,
            logger: createLogger({ service: 'profile', level: (process.env.LOG_LEVEL as 'info') ?? 'warn' }),
            pan: createPanProtector({ id: 'p', secret: Buffer.alloc(32, 1) }),
            ...(screener ? { screening: { screener, threshold: 0.9 } } : {}),
          },
          run,
          job,
          new RunControl(),
          () => undefined,
        );
        const s = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        delay.disable();
        const elu = performance.eventLoopUtilization(elu0);
        console.log(
          `cpu: engine ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, postgres ${(pgCpu() - pg0).toFixed(1)} s, wall ${s.toFixed(1)} s; ` +
            `event loop busy ${(100 * elu.utilization).toFixed(0)} %, delay p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms, max ${(delay.max / 1e6).toFixed(0)} ms`,
        );
        if (profAt > 0)
          fs.writeFileSync(
            process.argv[profAt + 1] as string,
            JSON.stringify(((await post('Profiler.stop')) as { profile: unknown }).profile),
          );
        if (allocAt > 0)
          fs.writeFileSync(
            process.argv[allocAt + 1] as string,
            JSON.stringify(((await post('HeapProfiler.stopSampling')) as { profile: unknown }).profile),
          );
        if (statements) await printStatements(ds, rows);
        const [m] = await ds.query(
          'SELECT batch_p50_ms, batch_p99_ms, peak_rss_bytes FROM performance_metrics WHERE run_id = $1',
          [run.id],
        );
        console.log(
          `${done.status} ${done.errorCode ?? ''} read ${done.recordsRead} loaded ${done.recordsLoaded} dlq ${done.recordsDeadLettered} (expected bad ${gen.bad}) in ${s.toFixed(2)} s = ` +
            `${Math.round(rows / s)} rows/s; batches ${done.batchesCommitted}, p50 ${m.batch_p50_ms} ms, p99 ${m.batch_p99_ms} ms, peak RSS ${Math.round(m.peak_rss_bytes / 1048576)} MiB`,
        );
      } finally {
        await ds.destroy();
      }
    },
    statements ? PG_STATEMENTS_SETTINGS : undefined,
  );
}

runWithEngineFlags();
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
