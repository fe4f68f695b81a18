// `npm run stress [-- --minutes 5 --files 2 --streams 2 --graphql 4 --rows 20000 --run-threads 2 --partition-kb 512]`: the soak test of
// record (issue 9). On a throwaway embedded PostgreSQL with a real engine and gateway on loopback it
// runs, for N minutes and all at once: file jobs back to back (generated CSVs with invalid rows),
// gRPC ingest streams, and GraphQL clients querying runs (file runs are cut into partitions of
// --partition-kb, which the engine's --run-threads run threads share with its main thread). It then reports
// throughput, error rates, latency percentiles and the RSS of both processes over time, and checks the
// invariants: every run conserves its records (read = loaded + dead-lettered + filtered), the sink holds
// exactly what each run loaded, no business key is loaded twice, and the audit chain verifies. Exit 1 on
// any violation.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { signDevToken } from '@strongroom/auth';
import {
  createAuditServiceClient,
  createIngestServiceClient,
  createJobServiceClient,
  deadlineIn,
  RunStatus,
  type IngestRecord,
  type IngestRequest,
  type IngestResponse,
  type Run,
  type WatchRunResponse,
} from '@strongroom/contract';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { processRss, querySql, startEngineProcess, unaryCall } from '@strongroom/testing';
import { withThrowawayDatabase } from './throwaway-db';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v >= 0)) throw new Error(`--${name} must be a number ≥ 0`);
  return v;
};
const MINUTES = arg('minutes', 5);
const FILES = arg('files', 2);
const STREAMS = arg('streams', 2);
const GRAPHQL = arg('graphql', 4);
const ROWS = arg('rows', 20_000);
const RUN_THREADS = arg('run-threads', 2);
const PARTITION_KB = arg('partition-kb', 512);
const ROOT = path.resolve(__dirname, '..');
const SECRET = 'stress-test-secret-of-at-least-32-characters';

const say = (s: string) => process.stdout.write(`${s}\n`);
const pct = (xs: number[], p: number) =>
  xs.length ? ([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number) : 0;

function startGateway(engine: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'run-ts.js'), path.join(ROOT, 'apps', 'gateway', 'src', 'main.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        GATEWAY_PORT: '0',
        STRONGROOM_ENGINE: engine,
        GATEWAY_JWT_SECRET: SECRET,
        LOG_LEVEL: 'warn',
        GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /gateway ready (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before it was ready`)));
  });
}

async function main(): Promise<void> {
  await withThrowawayDatabase(async (cluster, dir) => {
    const engine = await startEngineProcess({
      databaseUrl: cluster.url,
      env: {
        GATEWAY_JWT_SECRET: SECRET,
        STRONGROOM_HOME: path.join(dir, 'home'),
        ENGINE_MAX_CONCURRENT_RUNS: String(Math.max(2, FILES)),
        DB_POOL_SIZE: '20',
        ENGINE_RUN_THREADS: String(RUN_THREADS),
        STRONGROOM_PARTITION_BYTES: String(Math.max(4096, Math.round(PARTITION_KB * 1024))),
      },
    });
    const gateway = await startGateway(engine.address);
    const jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    const ingestClient = createIngestServiceClient({ address: engine.address, token: engine.token });
    const audit = createAuditServiceClient({ address: engine.address, token: engine.token });
    const token = signDevToken({ sub: 'stress', roles: ['viewer'], ttlSeconds: 12 * 3600 }, SECRET);
    const until = Date.now() + MINUTES * 60_000;
    say(
      `stress: ${MINUTES} min, ${FILES} file workers × ${ROWS.toLocaleString('en-US')} rows (partitions of ${PARTITION_KB} KiB, ${RUN_THREADS} run threads), ${STREAMS} ingest streams, ${GRAPHQL} GraphQL clients`,
    );
    const stats = {
      fileRuns: 0,
      fileRecords: 0,
      fileErrors: [] as string[],
      streams: 0,
      streamRecords: 0,
      streamErrors: [] as string[],
      gqlMs: [] as number[],
      gqlErrors: 0,
    };
    const memory: { t: number; engine: number; gateway: number }[] = [];
    const t0 = performance.now();
    const sampler = setInterval(
      () =>
        memory.push({
          t: (performance.now() - t0) / 1000,
          engine: processRss(engine.child.pid as number),
          gateway: processRss(gateway.child.pid as number),
        }),
      1000,
    );

    const fileWorker = async (w: number) => {
      for (let n = 0; Date.now() < until; n++) {
        try {
          const csv = path.join(dir, `f${w}-${n}.csv`);
          await generateTransactionsCsv(csv, { rows: ROWS, seed: w * 100_000 + n, idPrefix: `F${w}N${n}-` });
          const definition = `name: stress-file-${w}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }\n`;
          const created = await unaryCall<{ definition: string; baseDir: string }, { job?: { id: string } }>(
            jobs,
            jobs.createJob,
            { definition, baseDir: '' },
          );
          const started = await unaryCall<{ jobId: string; file: string }, { run?: Run }>(jobs, jobs.runJob, {
            jobId: created.job?.id ?? '',
            file: '',
          });
          let run: Run | undefined;
          await new Promise<void>((resolve, reject) => {
            const s = jobs.watchRun({ runId: started.run?.id ?? '' }, { deadline: deadlineIn(600_000) });
            s.on('data', (m: WatchRunResponse) => (run = m.run));
            s.on('end', resolve);
            s.on('error', reject);
          });
          if (run?.status !== RunStatus.RUN_STATUS_SUCCEEDED)
            stats.fileErrors.push(`${run?.id}: ${run?.errorCode} ${run?.errorMessage}`);
          stats.fileRuns++;
          stats.fileRecords += run?.read ?? 0;
          fs.rmSync(csv, { force: true });
        } catch (err) {
          stats.fileErrors.push(String((err as Error).message));
        }
      }
    };

    const streamWorker = async (w: number) => {
      const created = await unaryCall<{ definition: string; baseDir: string }, { job?: { id: string } }>(
        jobs,
        jobs.createJob,
        { definition: `name: stress-stream-${w}\nsource: { kind: grpc }\n`, baseDir: '' },
      );
      const rec = (id: string, k: number): IngestRecord => ({
        txnId: id,
        account: `ACC${k % 499}`,
        counterpartyAccount: '',
        counterpartyName: 'Acme',
        amount: `${k % 5000}.${String(k % 100).padStart(2, '0')}`,
        currency: k % 3 ? 'EUR' : 'USD',
        bookedAt: '2026-11-01T10:00:00Z',
        valueDate: '',
        reference: '',
        cardPan: '',
      });
      for (let n = 0; Date.now() < until; n++) {
        const call: ClientDuplexStream<IngestRequest, IngestResponse> = ingestClient.ingest(new Metadata(), {
          deadline: deadlineIn(600_000),
        });
        try {
          const answers: IngestResponse[] = [];
          let wake: (() => void) | undefined;
          let failed: Error | undefined;
          call.on('data', (r: IngestResponse) => (answers.push(r), wake?.()));
          call.on('error', (e: Error) => ((failed = e), wake?.()));
          const next = async () => {
            while (!answers.length && !failed) await new Promise<void>((r) => (wake = r));
            if (failed) throw failed;
            return answers.shift() as IngestResponse;
          };
          call.write({ open: { jobId: created.job?.id ?? '', streamId: `s${w}-${n}` } });
          await next();
          // every other stream keeps up to 4 batches in flight (the engine commits those that wait together: group
          // commit); the others wait for each ack
          const window = w % 2 === 0 ? 4 : 1;
          let inFlight = 0;
          for (let b = 0; b < 20 && Date.now() < until; b++) {
            call.write({
              batch: {
                idempotencyKey: `b${b}`,
                records: Array.from({ length: 500 }, (_, k) => rec(`S${w}-${n}-${b}-${k}`, k + b)),
              },
            });
            if (++inFlight >= window) {
              await next();
              inFlight--;
              stats.streamRecords += 500;
            }
          }
          for (; inFlight > 0; inFlight--) {
            await next();
            stats.streamRecords += 500;
          }
          call.write({ complete: {} });
          const done = await next();
          if (done.completed?.run?.status !== RunStatus.RUN_STATUS_SUCCEEDED)
            stats.streamErrors.push(`stream s${w}-${n} ended ${done.completed?.run?.status}`);
          stats.streams++;
        } catch (err) {
          stats.streamErrors.push(String((err as Error).message));
        } finally {
          call.end();
        }
      }
    };

    const graphqlWorker = async () => {
      while (Date.now() < until) {
        const t = performance.now();
        try {
          const res = await fetch(gateway.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({
              query: '{ runs(first: 20) { edges { node { id status read loaded deadLettered sla { status } } } } }',
            }),
          });
          const body = (await res.json()) as { errors?: unknown[] };
          if (res.status !== 200 || body.errors) stats.gqlErrors++;
        } catch {
          stats.gqlErrors++;
        }
        stats.gqlMs.push(performance.now() - t);
      }
    };

    try {
      await Promise.all([
        ...Array.from({ length: FILES }, (_, i) => fileWorker(i)),
        ...Array.from({ length: STREAMS }, (_, i) => streamWorker(i)),
        ...Array.from({ length: GRAPHQL }, () => graphqlWorker()),
      ]);
      clearInterval(sampler);
      const seconds = (performance.now() - t0) / 1000;

      // invariants
      const violations: string[] = [];
      const runs = await querySql<{
        id: string;
        status: string;
        kind: string;
        read: string;
        loaded: string;
        dead: string;
        filtered: string;
        sink: string;
      }>(
        cluster.url,
        `SELECT r.id, r.status, j.source_kind AS kind, r.records_read::text AS read, r.records_loaded::text AS loaded, r.records_dead_lettered::text AS dead,
                r.records_filtered::text AS filtered, coalesce(s.n, 0)::text AS sink
           FROM job_runs r JOIN jobs j ON j.id = r.job_id
           LEFT JOIN (SELECT run_id, count(*) AS n FROM transactions GROUP BY run_id) s ON s.run_id = r.id`,
      );
      for (const r of runs) {
        if (r.status === 'SUCCEEDED' && BigInt(r.read) !== BigInt(r.loaded) + BigInt(r.dead) + BigInt(r.filtered))
          violations.push(`run ${r.id}: read ${r.read} ≠ loaded ${r.loaded} + dead ${r.dead} + filtered ${r.filtered}`);
        if (r.status === 'SUCCEEDED' && r.sink !== r.loaded)
          violations.push(`run ${r.id}: sink holds ${r.sink} rows, the run loaded ${r.loaded}`);
        if (r.status !== 'SUCCEEDED' && r.sink !== '0')
          violations.push(`run ${r.id} is ${r.status} but left ${r.sink} rows in the sink`);
        // a file run must have ended; a stream run whose stream failed stays open for its client to resume (a failure, counted above)
        if (r.kind !== 'grpc' && (r.status === 'RUNNING' || r.status === 'PENDING'))
          violations.push(`file run ${r.id} still ${r.status} after the load stopped`);
      }
      const dup = await querySql<{ n: string }>(
        cluster.url,
        'SELECT count(*)::text AS n FROM (SELECT 1 FROM transactions GROUP BY source_system, txn_id HAVING count(*) > 1) d',
      );
      if (dup[0]?.n !== '0') violations.push(`${dup[0]?.n} business keys loaded more than once`);
      // a run's rows are found by the id ranges its batches recorded: every row must lie in one of them
      const outside = await querySql<{ n: string }>(
        cluster.url,
        `SELECT count(*)::text AS n FROM transactions t
          WHERE NOT EXISTS (SELECT 1 FROM transaction_integrity i WHERE i.run_id = t.run_id AND i.scope = 'BATCH'
                              AND t.id BETWEEN i.first_id AND i.last_id)`,
      );
      if (outside[0]?.n !== '0') violations.push(`${outside[0]?.n} sink rows outside their run's recorded id ranges`);
      const verified = await unaryCall<
        { checkpointJson: string; incremental: boolean },
        { ok: boolean; entries: number; message: string }
      >(audit, audit.verify, { checkpointJson: '', incremental: false }, 600_000);
      if (!verified.ok) violations.push(`audit chain: ${verified.message}`);
      // stream batches committed together with others (group commit), by the audit entries that say so
      const [grouped] = await querySql<{ grouped: string; all: string }>(
        cluster.url,
        `SELECT count(*) FILTER (WHERE details ? 'groupSize')::text AS grouped, count(*)::text AS all
           FROM immutable_audit_log WHERE action = 'batch:committed' AND NOT details ? 'partitionNo'`,
      );

      // file run batches committed by the engine's run threads (their lease owner is the replica id with "/t<n>")
      const [threaded] = await querySql<{ threads: string; all: string }>(
        cluster.url,
        `SELECT count(*) FILTER (WHERE details->>'replica' LIKE '%/t%')::text AS threads, count(*)::text AS all
           FROM immutable_audit_log WHERE action = 'batch:committed' AND details ? 'partitionNo'`,
      );

      const mb = (b: number) => Math.round(b / 1024 / 1024);
      say(`ran ${seconds.toFixed(0)} s`);
      say(
        `file runs: ${stats.fileRuns} (${stats.fileRecords.toLocaleString('en-US')} records, ${Math.round(stats.fileRecords / seconds).toLocaleString('en-US')} records/s), failures ${stats.fileErrors.length}; ${threaded?.threads ?? 0} of ${threaded?.all ?? 0} file run batches committed by the ${RUN_THREADS} run threads`,
      );
      say(
        `ingest: ${stats.streams} streams (${stats.streamRecords.toLocaleString('en-US')} records, ${Math.round(stats.streamRecords / seconds).toLocaleString('en-US')} records/s), failures ${stats.streamErrors.length}; ${grouped?.grouped ?? 0} of ${grouped?.all ?? 0} stream batches committed in groups`,
      );
      say(
        `GraphQL: ${stats.gqlMs.length} requests, error rate ${((stats.gqlErrors / Math.max(stats.gqlMs.length, 1)) * 100).toFixed(2)} %, p50 ${pct(stats.gqlMs, 50).toFixed(0)} ms, p95 ${pct(stats.gqlMs, 95).toFixed(0)} ms, p99 ${pct(stats.gqlMs, 99).toFixed(0)} ms`,
      );
      say('RSS over time (MB, max per minute): engine / gateway');
      for (let m = 0; m * 60 < seconds; m++) {
        const win = memory.filter((s) => s.t >= m * 60 && s.t < (m + 1) * 60);
        if (win.length)
          say(
            `  minute ${m + 1}: ${mb(Math.max(...win.map((s) => s.engine)))} / ${mb(Math.max(...win.map((s) => s.gateway)))}`,
          );
      }
      say(`audit chain: ${verified.entries.toLocaleString('en-US')} entries, verifies: ${verified.ok}`);
      for (const e of [...stats.fileErrors, ...stats.streamErrors].slice(0, 10)) say(`  failure: ${e}`);
      if (violations.length) {
        say(`INVARIANT VIOLATIONS (${violations.length}):`);
        for (const v of violations.slice(0, 50)) say(`  ${v}`);
        process.exitCode = 1;
      } else {
        say(
          `invariants: ${runs.length} runs conserve their records, the sink matches every run, no duplicate keys, audit chain verifies — 0 violations`,
        );
      }
    } finally {
      clearInterval(sampler);
      jobs.close();
      ingestClient.close();
      audit.close();
      gateway.child.kill('SIGTERM');
      await engine.stop();
    }
  });
}

main().catch((err) => {
  process.stderr.write(`stress failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
