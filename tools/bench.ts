// `npm run bench [-- --rows N] [--ingest N] [--ingest-batch N] [--out FILE] [--plain] [--alert-heavy] [--names N] [--no-pgloader]`: the benchmark of record (issue 9). On one
// throwaway embedded PostgreSQL and the same generated file (default 1,000,000 transactions, 20 % with
// card numbers), side by side:
//   1. `psql \copy` into an equivalent typed table (the floor: no validation, no keys, no audit);
//   2. Strongroom's full pipeline through a real engine process: validation, PAN tokenization, AML
//      rules and sanctions screening, integrity digests, audit, checkpoints, COPY, reconciliation;
//   3. `psql \copy` of the same rows, as Strongroom stored them, into a copy of the sink table with all its
//      indexes and constraints: the database's floor for this schema;
//   4. gRPC streaming ingest records/s, and audit-chain verification entries/s;
//   5. a peer: pgloader (Debian's `pgloader` package, when installed) loading the same file into a copy of the
//      sink table with all its indexes and constraints.
// Prints rows/s, the ratio, engine peak RSS and p50/p99 batch commit, and writes a JSON result file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
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
import { defaultRunThreads } from '@strongroom/config';
import { SINK_COLUMNS } from '@strongroom/pipeline';
import { corpusDir, processRss, promSample, startEngineProcess, unaryCall } from '@strongroom/testing';
import { postgresCpuSeconds, processCpuSeconds } from './pg-cpu';
import { findPsql } from './psql';
import { withThrowawayDatabase } from './throwaway-db';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
};
const ROWS = Number(arg('rows', '1000000'));
/** Seconds the engine spent in garbage collection so far, from its /metrics (young generation and the rest). */
async function engineGcSeconds(metricsUrl: string | null): Promise<{ young: number; full: number }> {
  const text = metricsUrl ? await (await fetch(metricsUrl)).text() : '';
  const sum = (kind: string) => promSample(text, 'nodejs_gc_duration_seconds_sum', `kind="${kind}"`) ?? 0;
  return { young: sum('minor'), full: sum('major') + sum('incremental') };
}

/** `--plain`: the pipeline without the compliance frameworks (to show what they cost). */
const PLAIN = process.argv.includes('--plain');
/** `--alert-heavy`: amounts around 30,000, so nearly every row raises a LARGE_TRANSACTION alert. */
const ALERT_HEAVY = process.argv.includes('--alert-heavy');
/** `--names N`: counterparty names from N distinct made-up names (default: 10 fixed names, which screening caches). */
const NAMES = arg('names', '');
/** `--no-pgloader`: skip the peer (it takes about 45 s per million rows). */
const PEER = !process.argv.includes('--no-pgloader');
const INGEST = Number(arg('ingest', '200000'));
/** Records per streamed batch (the client's choice; 1,000 is the figure of record). */
const INGEST_BATCH = Number(arg('ingest-batch', '1000'));
/** `--run-threads N`: the engine's run threads (ENGINE_RUN_THREADS; default: the engine's default for this machine). */
const RUN_THREADS = Number(arg('run-threads', String(defaultRunThreads())));
/** `--partition-mb M`: the size file runs are cut into partitions at (STRONGROOM_PARTITION_BYTES; default 64 MiB). */
const PARTITION_MB = arg('partition-mb', '');
const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(
  arg('out', path.join(ROOT, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)),
);

const mb = (b: number) => Math.round(b / 1024 / 1024);
const say = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  if (!(ROWS > 0) || !(INGEST >= 0) || !(INGEST_BATCH >= 1) || !(RUN_THREADS >= 0) || (NAMES && !(Number(NAMES) >= 1)))
    throw new Error(
      'usage: npm run bench -- [--rows N] [--ingest N] [--ingest-batch N] [--run-threads N] [--partition-mb M] [--out FILE] [--plain] [--alert-heavy] [--names N] [--no-pgloader]',
    );
  const psql = findPsql();
  if (!psql) throw new Error('psql not found (PATH or /usr/lib/postgresql/*/bin): the comparison needs it');
  await withThrowawayDatabase(async (cluster, dir) => {
    say(
      `bench: ${ROWS.toLocaleString('en-US')} transactions on PostgreSQL at ${cluster.url.replace(/\/\/[^@]*@/, '//')}; engine run threads ${RUN_THREADS}${PARTITION_MB ? `, partitions of ${PARTITION_MB} MiB` : ''}`,
    );
    const csv = path.join(dir, 'transactions.csv');
    const gen = await generateTransactionsCsv(csv, {
      rows: ROWS,
      badRatio: 0,
      cardRatio: 0.2,
      largeAmounts: ALERT_HEAVY,
      ...(NAMES ? { distinctNames: Number(NAMES) } : {}),
    });
    say(
      `generated ${mb(gen.bytes)} MB (${gen.withCard.toLocaleString('en-US')} rows with a card number${NAMES ? `, counterparty names from ${Number(NAMES).toLocaleString('en-US')} distinct ones` : ''})`,
    );

    // 1. psql \copy into an equivalent typed table
    const sql = (q: string) =>
      execFileSync(psql, [cluster.url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', q], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    sql(`CREATE TABLE bench_copy (id text PRIMARY KEY, account_iban text NOT NULL, counterparty_iban text, counterparty_name text, amount numeric(20,4) NOT NULL,
          currency char(3) NOT NULL, booked_at timestamptz NOT NULL, value_date date, reference text, card_number text)`);
    let t0 = performance.now();
    sql(`\\copy bench_copy FROM '${csv}' WITH (FORMAT csv, HEADER true)`);
    const copySeconds = (performance.now() - t0) / 1000;
    const copyRate = ROWS / copySeconds;
    say(`psql \\copy:          ${Math.round(copyRate).toLocaleString('en-US')} rows/s (${copySeconds.toFixed(1)} s)`);

    // 1b. a peer loader on the same file, into the sink's table shape
    const peer = PEER ? pgloaderPeer(cluster.url, csv, dir, psql) : undefined;
    if (peer)
      say(
        `pgloader:            ${Math.round(ROWS / peer.seconds).toLocaleString('en-US')} rows/s (${peer.seconds.toFixed(1)} s, ${peer.loaded.toLocaleString('en-US')} rows) = ${(ROWS / peer.seconds / copyRate).toFixed(2)}× psql \\copy`,
      );
    else if (PEER) say('pgloader:            not installed (apt-get install pgloader), skipped');

    // 2. the full pipeline through a real engine process
    const home = path.join(dir, 'home');
    const lists = corpusDir('sanctions', 'full');
    const engine = await startEngineProcess({
      databaseUrl: cluster.url,
      env: {
        STRONGROOM_HOME: home,
        STRONGROOM_SANCTIONS_LISTS: `${lists}/sdn.csv,${lists}/alt.csv`,
        ENGINE_RUN_THREADS: String(RUN_THREADS),
        ...(PARTITION_MB ? { STRONGROOM_PARTITION_BYTES: String(Math.round(Number(PARTITION_MB) * 1024 * 1024)) } : {}),
      },
    });
    const jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    const ingestClient = createIngestServiceClient({ address: engine.address, token: engine.token });
    const audit = createAuditServiceClient({ address: engine.address, token: engine.token });
    try {
      const definition =
        `name: bench\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }\n` +
        (PLAIN ? '' : `compliance: { frameworks: [SOX, PCI_DSS, AML], sanctions: required }\n`);
      const created = await unaryCall<{ definition: string; baseDir: string }, { job?: { id: string } }>(
        jobs,
        jobs.createJob,
        { definition, baseDir: '' },
      );
      const pid = engine.child.pid as number;
      let peak = processRss(pid);
      const sampler = setInterval(() => (peak = Math.max(peak, processRss(pid))), 250);
      const cpu0 = { engine: processCpuSeconds(pid), postgres: postgresCpuSeconds() };
      const gc0 = await engineGcSeconds(engine.metricsUrl);
      t0 = performance.now();
      const started = await unaryCall<{ jobId: string; file: string }, { run?: Run }>(jobs, jobs.runJob, {
        jobId: created.job?.id ?? '',
        file: '',
      });
      let run: Run | undefined;
      await new Promise<void>((resolve, reject) => {
        const stream = jobs.watchRun({ runId: started.run?.id ?? '' }, { deadline: deadlineIn(3_600_000) });
        stream.on('data', (m: WatchRunResponse) => {
          run = m.run;
          if (run && process.stdout.isTTY)
            process.stdout.write(`\r  strongroom: ${run.read.toLocaleString('en-US')} rows…`);
        });
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      clearInterval(sampler);
      const pipeSeconds = (performance.now() - t0) / 1000;
      // CPU per row of the engine process (all its threads) and of PostgreSQL (all its processes) during the run
      const cpuUs = {
        engine: Number((((processCpuSeconds(pid) - cpu0.engine) / ROWS) * 1e6).toFixed(1)),
        postgres: Number((((postgresCpuSeconds() - cpu0.postgres) / ROWS) * 1e6).toFixed(1)),
      };
      if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
      if (!run || run.status !== RunStatus.RUN_STATUS_SUCCEEDED)
        throw new Error(`the Strongroom run did not succeed: ${run?.errorCode} ${run?.errorMessage}`);
      const pipeRate = ROWS / pipeSeconds;
      const [m] = JSON.parse(
        execFileSync(psql, [
          cluster.url,
          '-At',
          '-c',
          `SELECT json_agg(x) FROM (SELECT batch_p50_ms, batch_p95_ms, batch_p99_ms FROM performance_metrics WHERE run_id = '${run.id}') x`,
        ]).toString(),
      ) as [{ batch_p50_ms: number; batch_p95_ms: number; batch_p99_ms: number }];
      say(
        `strongroom pipeline: ${Math.round(pipeRate).toLocaleString('en-US')} rows/s (${pipeSeconds.toFixed(1)} s) = ${(pipeRate / copyRate).toFixed(2)}× psql \\copy; loaded ${run.loaded.toLocaleString('en-US')}, reconciled ${run.reconciliation?.reconciled}`,
      );
      say(
        `  engine peak RSS ${mb(peak)} MB; batch commit p50 ${m.batch_p50_ms} ms, p95 ${m.batch_p95_ms} ms, p99 ${m.batch_p99_ms} ms`,
      );
      const gc1 = await engineGcSeconds(engine.metricsUrl);
      const gcUs = {
        young: Number((((gc1.young - gc0.young) / ROWS) * 1e6).toFixed(1)),
        full: Number((((gc1.full - gc0.full) / ROWS) * 1e6).toFixed(1)),
      };
      say(
        `  CPU per row: engine ${cpuUs.engine} µs (of which garbage collection: young generation ${gcUs.young} µs, full ${gcUs.full} µs), PostgreSQL ${cpuUs.postgres} µs`,
      );

      // 2b. the database floor of the sink: psql \copy of the rows Strongroom stored, in their stored form,
      // into a copy of the sink table with all its indexes and constraints (what a loader that did no
      // work of its own could reach on this schema)
      const sinkFile = path.join(dir, 'sink.tsv');
      sql(
        `\\copy (SELECT ${SINK_COLUMNS} FROM transactions WHERE run_id = '${run.id}' ORDER BY source_record_no) TO '${sinkFile}'`,
      );
      sql('CREATE TABLE bench_sink (LIKE transactions INCLUDING ALL)');
      t0 = performance.now();
      sql(`\\copy bench_sink (${SINK_COLUMNS}) FROM '${sinkFile}'`);
      const sinkSeconds = (performance.now() - t0) / 1000;
      const sinkRate = ROWS / sinkSeconds;
      say(
        `psql \\copy into the sink's own schema (4 indexes, checks): ${Math.round(sinkRate).toLocaleString('en-US')} rows/s (${sinkSeconds.toFixed(1)} s); Strongroom = ${(pipeRate / sinkRate).toFixed(2)}× of it`,
      );
      sql('DROP TABLE bench_sink');

      // 3a. gRPC streaming ingest
      let ingest: {
        records: number;
        seconds: number;
        perSecond: number;
        cpuMicrosecondsPerRecord: {
          engine: number;
          postgres: number;
          client: number;
          engineYoungGc: number;
          engineFullGc: number;
        };
      } | null = null;
      if (INGEST > 0) {
        const ij = await unaryCall<{ definition: string; baseDir: string }, { job?: { id: string } }>(
          jobs,
          jobs.createJob,
          { definition: 'name: bench-ingest\nsource: { kind: grpc }\n', baseDir: '' },
        );
        const call: ClientDuplexStream<IngestRequest, IngestResponse> = ingestClient.ingest(new Metadata(), {
          deadline: deadlineIn(3_600_000),
        });
        const answers: IngestResponse[] = [];
        let wake: (() => void) | undefined;
        call.on('data', (r: IngestResponse) => {
          answers.push(r);
          wake?.();
        });
        const next = async () => {
          while (!answers.length) await new Promise<void>((r) => (wake = r));
          return answers.shift() as IngestResponse;
        };
        const rec = (n: number): IngestRecord => ({
          txnId: `I-${n}`,
          account: `ACC${n % 997}`,
          counterpartyAccount: '',
          counterpartyName: 'Acme',
          amount: `${n % 10_000}.${String(n % 100).padStart(2, '0')}`,
          currency: 'EUR',
          bookedAt: '2026-11-01T10:00:00Z',
          valueDate: '',
          reference: '',
          cardPan: '',
        });
        call.write({ open: { jobId: ij.job?.id ?? '', streamId: 'bench' } });
        await next();
        const size = INGEST_BATCH;
        const pid = engine.child.pid as number;
        const icpu0 = { engine: processCpuSeconds(pid), postgres: postgresCpuSeconds(), client: process.cpuUsage() };
        const igc0 = await engineGcSeconds(engine.metricsUrl);
        t0 = performance.now();
        let inFlight = 0;
        for (let b = 0; b * size < INGEST; b++) {
          call.write({
            batch: {
              idempotencyKey: `b-${b}`,
              records: Array.from({ length: Math.min(size, INGEST - b * size) }, (_, k) => rec(b * size + k)),
            },
          });
          if (++inFlight >= 4) {
            await next();
            inFlight--;
          }
        }
        while (inFlight-- > 0) await next();
        call.write({ complete: {} });
        await next();
        call.end();
        const s = (performance.now() - t0) / 1000;
        // CPU per record of the engine, of PostgreSQL and of this process (the client: it builds and encodes the
        // records on the same cores)
        const perRecord = (seconds: number) => Number(((seconds / INGEST) * 1e6).toFixed(1));
        const client = process.cpuUsage(icpu0.client);
        const igc1 = await engineGcSeconds(engine.metricsUrl);
        const cpu = {
          engine: perRecord(processCpuSeconds(pid) - icpu0.engine),
          postgres: perRecord(postgresCpuSeconds() - icpu0.postgres),
          client: perRecord((client.user + client.system) / 1e6),
          engineYoungGc: perRecord(igc1.young - igc0.young),
          engineFullGc: perRecord(igc1.full - igc0.full),
        };
        ingest = {
          records: INGEST,
          seconds: Number(s.toFixed(2)),
          perSecond: Math.round(INGEST / s),
          cpuMicrosecondsPerRecord: cpu,
        };
        say(
          `gRPC streaming ingest: ${ingest.perSecond.toLocaleString('en-US')} records/s (${INGEST.toLocaleString('en-US')} in batches of ${size}, 4 in flight)`,
        );
        say(
          `  CPU per record: engine ${cpu.engine} µs (of which garbage collection: young generation ${cpu.engineYoungGc} µs, full ${cpu.engineFullGc} µs), PostgreSQL ${cpu.postgres} µs, the client (this process) ${cpu.client} µs`,
        );
      }

      // 3b. audit-chain verification
      t0 = performance.now();
      const verified = await unaryCall<
        { checkpointJson: string; incremental: boolean },
        { ok: boolean; entries: number }
      >(audit, audit.verify, { checkpointJson: '', incremental: false }, 600_000);
      const vs = (performance.now() - t0) / 1000;
      say(
        `audit verify: ${verified.entries.toLocaleString('en-US')} entries in ${vs.toFixed(2)} s = ${Math.round(verified.entries / vs).toLocaleString('en-US')} entries/s (ok ${verified.ok})`,
      );

      const result = {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, node: process.version },
        runThreads: RUN_THREADS,
        partitionBytes: PARTITION_MB ? Math.round(Number(PARTITION_MB) * 1024 * 1024) : null,
        rows: ROWS,
        fileBytes: gen.bytes,
        rowsWithCard: gen.withCard,
        psqlCopy: { seconds: Number(copySeconds.toFixed(2)), rowsPerSecond: Math.round(copyRate) },
        psqlCopyIntoSinkSchema: { seconds: Number(sinkSeconds.toFixed(2)), rowsPerSecond: Math.round(sinkRate) },
        pgloader: peer
          ? {
              seconds: Number(peer.seconds.toFixed(2)),
              rowsPerSecond: Math.round(ROWS / peer.seconds),
              ratioToCopy: Number((ROWS / peer.seconds / copyRate).toFixed(3)),
              loaded: peer.loaded,
            }
          : null,
        strongroom: {
          seconds: Number(pipeSeconds.toFixed(2)),
          rowsPerSecond: Math.round(pipeRate),
          ratioToCopy: Number((pipeRate / copyRate).toFixed(3)),
          ratioToSinkSchemaCopy: Number((pipeRate / sinkRate).toFixed(3)),
          peakRssBytes: peak,
          cpuMicrosecondsPerRow: cpuUs,
          gcMicrosecondsPerRow: gcUs,
          batchCommitMs: { p50: m.batch_p50_ms, p95: m.batch_p95_ms, p99: m.batch_p99_ms },
          frameworks: PLAIN ? [] : ['SOX', 'PCI_DSS', 'AML'],
          sanctionsScreening: !PLAIN,
          loaded: run.loaded,
          reconciled: run.reconciliation?.reconciled ?? false,
        },
        ingest,
        auditVerify: {
          entries: verified.entries,
          seconds: Number(vs.toFixed(2)),
          entriesPerSecond: Math.round(verified.entries / vs),
          ok: verified.ok,
        },
      };
      fs.mkdirSync(path.dirname(OUT), { recursive: true });
      fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
      say(`result: ${OUT}`);
    } finally {
      jobs.close();
      ingestClient.close();
      audit.close();
      await engine.stop();
    }
  });
}

/**
 * pgloader (when installed) loading the CSV into a copy of the sink table (all its indexes and checks; the
 * columns Strongroom fills per run get constant defaults, the card number goes in as it is: pgloader has no
 * tokenization). Wall time including pgloader's start. Undefined when pgloader is not installed.
 */
function pgloaderPeer(
  url: string,
  csv: string,
  dir: string,
  psql: string,
): { seconds: number; loaded: number } | undefined {
  const sql = (q: string) => execFileSync(psql, [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', q]).toString();
  try {
    execFileSync('pgloader', ['--version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  sql(`CREATE TABLE bench_pgloader (LIKE transactions INCLUDING ALL);
       ALTER TABLE bench_pgloader ALTER source_system SET DEFAULT 'bench', ALTER run_id SET DEFAULT '00000000-0000-4000-8000-000000000000',
         ALTER source_record_no SET DEFAULT 0`);
  const fields = [
    'txn_id',
    'account',
    'counterparty_account [null if blanks]',
    'counterparty_name [null if blanks]',
    'amount',
    'currency',
    'booked_at',
    'value_date [null if blanks]',
    'reference [null if blanks]',
    'card_pan_token [null if blanks]',
  ];
  const target = fields.map((f) => f.split(' ')[0]).join(', ');
  const load = path.join(dir, 'bench.load');
  fs.writeFileSync(
    load,
    `LOAD CSV FROM '${csv}' HAVING FIELDS (${fields.join(', ')})
       INTO ${url.replace(/^postgres:/, 'postgresql:')} TARGET TABLE bench_pgloader TARGET COLUMNS (${target})
       WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote, fields terminated by ',';\n`,
  );
  const t0 = performance.now();
  execFileSync('pgloader', ['--quiet', '--on-error-stop', load], { stdio: ['ignore', 'ignore', 'inherit'], cwd: dir });
  const seconds = (performance.now() - t0) / 1000;
  const loaded = Number(sql('SELECT count(*) FROM bench_pgloader').trim());
  sql('DROP TABLE bench_pgloader');
  return { seconds, loaded };
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
