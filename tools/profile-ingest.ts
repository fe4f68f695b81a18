// Streams records into a grpc-source job through IngestSession in-process (no gRPC: the engine's own
// work per batch) and prints records/s, the CPU seconds of the engine and of PostgreSQL, and the share of
// each batch spent mapping before its commit:
//   node bin/run-ts.js tools/profile-ingest.ts [records] [--batch N] [--group N] [--serial] [--aml] [--names N] [--statements] [--pg-statements] [--prof FILE]
// --group N commits N batches at a time in one transaction (IngestSession.commitGroup, as the service does with
// batches that wait while another commits).
// --serial maps each batch only after the one before has committed (as the service did before).
// --pg-statements prints the statements PostgreSQL spent the stream's time on (server side, planning included).
// A developer tool; `npm run bench` (its gRPC streaming figure) is the benchmark of record.
import fs from 'node:fs';
import inspector from 'node:inspector';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { createPanProtector, SanctionsIndex } from '@strongroom/compliance';
import { corpusDir } from '@strongroom/testing';
import { madeUpNames } from '@strongroom/datagen';
import { createDataSource } from '@strongroom/db';
import { silentLogger } from '@strongroom/logging';
import {
  IngestSession,
  parseJobDefinition,
  saveJob,
  type IngestRecordInput,
  type PreparedIngestBatch,
} from '@strongroom/pipeline';
import { Client } from 'pg';
import { postgresCpuByProcess, postgresCpuSeconds } from './pg-cpu';
import { withThrowawayDatabase } from './throwaway-db';
import { PG_STATEMENTS_SETTINGS, printStatements, resetStatements } from './pg-statements';
import { runWithEngineFlags } from './engine-flags';

// --statements: time every statement the engine sends, by its first words (client side: round trip included)
const spent = new Map<string, { n: number; ms: number }>();
if (process.argv.includes('--statements')) {
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  (Client.prototype as unknown as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    const text = typeof q === 'string' ? q : (q?.text ?? 'COPY');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    const t0 = performance.now();
    const r = query.apply(this, args);
    if (r && typeof (r as Promise<unknown>).then === 'function')
      void (r as Promise<unknown>).then(
        () => {
          const e = spent.get(key) ?? { n: 0, ms: 0 };
          e.n++;
          e.ms += performance.now() - t0;
          spent.set(key, e);
        },
        () => undefined,
      );
    return r;
  };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

const pgCpu = postgresCpuSeconds;

// --aml: the job runs the AML checks with OFAC screening (the corpus's lists); --names N: the counterparty names
// are drawn from N distinct made-up ones (each new one is screened in full), not one
const aml = process.argv.includes('--aml');
const distinctNames = Number(arg('names', '1'));
// the generator's made-up names (as `npm run bench -- --names N` draws them)
const names = distinctNames > 1 ? madeUpNames(distinctNames, 20261128 + 1) : ['Acme'];

// the bench's records (tools/bench.ts, gRPC streaming ingest)
const rec = (n: number): IngestRecordInput => ({
  txn_id: `I-${n}`,
  account: `ACC${n % 997}`,
  counterparty_account: '',
  counterparty_name: names[(n * 7919) % names.length] as string,
  amount: `${n % 10_000}.${String(n % 100).padStart(2, '0')}`,
  currency: 'EUR',
  booked_at: '2026-11-01T10:00:00Z',
  value_date: '',
  reference: '',
  card_pan: '',
});

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200_000);
  const size = Number(arg('batch', '1000'));
  const groupSize = Number(arg('group', '1'));
  const profile = arg('prof', '');
  const pgStatements = process.argv.includes('--pg-statements');
  await withThrowawayDatabase(
    async (cluster) => {
      const ds = createDataSource({ url: cluster.url, poolSize: 4 });
      await ds.initialize();
      try {
        const saved = await saveJob(
          ds,
          parseJobDefinition(
            `name: profile-ingest\nsource: { kind: grpc }\n${aml ? 'compliance: { frameworks: [AML] }\n' : ''}`,
          ),
        );
        const lists = corpusDir('sanctions', 'full');
        const ctx = {
          ds,
          logger: silentLogger(),
          pan: createPanProtector({ id: 'p', secret: Buffer.alloc(32, 1) }),
          ...(aml
            ? {
                screening: {
                  screener: SanctionsIndex.fromFiles([path.join(lists, 'sdn.csv'), path.join(lists, 'alt.csv')]),
                  threshold: 0.9,
                },
              }
            : {}),
        };
        const session = await IngestSession.open(ctx, saved.job.id, 'profile', 'profile');
        // each batch's records are made when it is sent, as they arrive from a client, and dropped after its
        // commit: made all at once before the stream, they filled the old generation, and every young
        // collection then took about 50 ms (most of this tool's engine CPU, which the engine process does not
        // spend: 0.7 µs of young collections per record through gRPC, `npm run bench`)
        const batchCount = Math.ceil(total / size);
        const batch = (b: number): IngestRecordInput[] =>
          Array.from({ length: Math.min(size, total - b * size) }, (_, k) => rec(b * size + k));
        const session2 = profile ? new inspector.Session() : undefined;
        const post = (method: string) =>
          new Promise<unknown>((resolve, reject) =>
            session2?.post(method, (err, res) => (err ? reject(err) : resolve(res))),
          );
        if (session2) {
          session2.connect();
          await post('Profiler.enable');
          await post('Profiler.start');
        }
        if (pgStatements) await resetStatements(ds);
        const byProcess0 = postgresCpuByProcess();
        const pg0 = pgCpu();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        if (process.argv.includes('--serial')) {
          for (let i = 0; i < batchCount; i++) await session.batch(`b-${i}`, batch(i), 'profile');
        } else {
          // as the gRPC service does: the next batches (--group N of them, committed together) are mapped while
          // the ones before commit
          let read = 0;
          let inFlight: Promise<unknown> = Promise.resolve();
          for (let i = 0; i < batchCount; i += groupSize) {
            const prepared: Promise<PreparedIngestBatch>[] = [];
            for (let j = i; j < Math.min(i + groupSize, batchCount); j++) {
              const records = batch(j);
              prepared.push(session.prepare(`b-${j}`, records, read));
              read += records.length;
            }
            await inFlight;
            inFlight = session.commitGroup(await Promise.all(prepared), 'profile', async () => undefined);
          }
          await inFlight;
        }
        const run = await session.complete('profile');
        const s = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        if (session2)
          fs.writeFileSync(profile, JSON.stringify(((await post('Profiler.stop')) as { profile: unknown }).profile));
        await session.close();
        for (const [k, v] of [...spent].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20))
          console.log(`${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(6)}× ${k}`);
        if (pgStatements) {
          await printStatements(ds, total);
          console.log('PostgreSQL CPU by process (s):');
          for (const [k, v] of postgresCpuByProcess()) {
            const d = v - (byProcess0.get(k) ?? 0);
            if (d > 0) console.log(`${d.toFixed(2).padStart(8)}  ${k.slice(0, 100)}`);
          }
        }
        console.log(
          `${run.status} ${total} records in batches of ${size}: ${Math.round(total / s)} records/s (${s.toFixed(2)} s); ` +
            `cpu: engine ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, postgres ${(pgCpu() - pg0).toFixed(1)} s`,
        );
      } finally {
        await ds.destroy();
      }
    },
    pgStatements ? PG_STATEMENTS_SETTINGS : undefined,
  );
}

runWithEngineFlags();
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
