// `npm run bench:replicas [-- --rows N] [--partition-mb M] [--ttl-ms T] [--out FILE]`: scale-out figures
// (issue 18). On one throwaway embedded PostgreSQL and one generated file (default 600,000 transactions):
//   1. `psql \copy` of the file into an equivalent typed table (the floor, same file, same run);
//   2. the plain pipeline with 1, 2 and 3 engine replicas sharing the run by partitions (wall time from
//      RunJob to SUCCEEDED; each replica count loads under its own source system, so keys never collide);
//   3. takeover: 3 replicas, one SIGKILLed while it holds a partition; the time until another replica has
//      claimed that partition (the lease TTL plus up to a third of it for the next look), and the run's end.
// This machine's cores bound what more replicas can give: the figures are recorded, never asserted.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { createJobServiceClient, RunStatus, type JobServiceClient, type Run } from '@strongroom/contract';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { startEngineProcess, unaryCall, type EngineProcess } from '@strongroom/testing';
import { withThrowawayDatabase } from './throwaway-db';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
};
const ROWS = Number(arg('rows', '600000'));
const PARTITION_BYTES = Math.round(Number(arg('partition-mb', '8')) * 1024 * 1024);
const TTL_MS = Number(arg('ttl-ms', '5000'));
const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(
  arg('out', path.join(ROOT, 'bench-results', `replicas-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)),
);
const say = (s: string) => process.stdout.write(`${s}\n`);
const rate = (n: number) => Math.round(n).toLocaleString('en-US');

function findPsql(): string {
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql') : [];
  for (const c of [
    'psql',
    ...versions.sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin/psql`),
  ]) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {
      // next
    }
  }
  throw new Error('psql not found (PATH or /usr/lib/postgresql/*/bin): the comparison needs it');
}

async function main(): Promise<void> {
  if (!(ROWS > 0) || !(PARTITION_BYTES >= 4096) || !(TTL_MS >= 1000))
    throw new Error(
      'usage: npm run bench:replicas -- [--rows N] [--partition-mb M ≥ 0.004] [--ttl-ms T ≥ 1000] [--out FILE]',
    );
  const psql = findPsql();
  await withThrowawayDatabase(async (cluster, dir) => {
    say(
      `bench:replicas: ${rate(ROWS)} transactions, partitions of ${(PARTITION_BYTES / 1048576).toFixed(1)} MiB, lease ${TTL_MS} ms, ${os.cpus().length} cores`,
    );
    const csv = path.join(dir, 'transactions.csv');
    const gen = await generateTransactionsCsv(csv, { rows: ROWS, badRatio: 0, cardRatio: 0.2 });
    say(`generated ${Math.round(gen.bytes / 1048576)} MB`);

    const sql = (q: string) =>
      execFileSync(psql, [cluster.url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', q], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    sql(`CREATE TABLE bench_copy (id text PRIMARY KEY, account_iban text NOT NULL, counterparty_iban text, counterparty_name text, amount numeric(20,4) NOT NULL,
          currency char(3) NOT NULL, booked_at timestamptz NOT NULL, value_date date, reference text, card_number text)`);
    let t0 = performance.now();
    sql(`\\copy bench_copy FROM '${csv}' WITH (FORMAT csv, HEADER true)`);
    const copyRate = ROWS / ((performance.now() - t0) / 1000);
    sql('DROP TABLE bench_copy');
    say(`psql \\copy:            ${rate(copyRate)} rows/s`);

    const pg = new Client({ connectionString: cluster.url });
    await pg.connect();
    const engines: EngineProcess[] = [];
    const startReplicas = async (n: number, tag: string) => {
      const started = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          startEngineProcess({
            databaseUrl: cluster.url,
            env: {
              STRONGROOM_HOME: path.join(dir, `home-${tag}-${i}`),
              ENGINE_REPLICA_ID: `${tag}-${i}`,
              ENGINE_LEASE_TTL_MS: String(TTL_MS),
              STRONGROOM_PARTITION_BYTES: String(PARTITION_BYTES),
            },
          }),
        ),
      );
      engines.push(...started);
      return started;
    };
    const stopAll = async () => {
      for (const e of engines.splice(0)) await e.stop();
    };
    const submit = async (client: JobServiceClient, name: string) => {
      const definition = `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  system: ${name}\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }\n`;
      const job = await unaryCall<{ definition: string; baseDir: string }, { job?: { id: string } }>(
        client,
        client.createJob,
        {
          definition,
          baseDir: '',
        },
      );
      const { run } = await unaryCall<{ jobId: string }, { run?: Run }>(client, client.runJob, {
        jobId: job.job?.id ?? '',
      });
      return run?.id as string;
    };
    const waitEnd = async (client: JobServiceClient, runId: string) => {
      for (;;) {
        const { run } = await unaryCall<{ runId: string }, { run?: Run }>(client, client.getRun, { runId });
        if (
          run &&
          [RunStatus.RUN_STATUS_SUCCEEDED, RunStatus.RUN_STATUS_FAILED, RunStatus.RUN_STATUS_CANCELLED].includes(
            run.status,
          )
        ) {
          if (run.status !== RunStatus.RUN_STATUS_SUCCEEDED)
            throw new Error(`run failed: ${run.errorCode} ${run.errorMessage}`);
          return run;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const partitionsOf = async (runId: string) =>
      (await pg.query(`SELECT count(*)::int AS n FROM run_checkpoints WHERE run_id = $1`, [runId])).rows[0] as {
        n: number;
      };

    const scaling: {
      replicas: number;
      seconds: number;
      rowsPerSecond: number;
      ofCopy: number;
      partitions: number;
      workedBy: number;
    }[] = [];
    try {
      for (const n of [1, 2, 3]) {
        const replicas = await startReplicas(n, `r${n}`);
        const first = replicas[0] as EngineProcess;
        const client = createJobServiceClient({ address: first.address, token: first.token });
        t0 = performance.now();
        const runId = await submit(client, `replicas-${n}`);
        await waitEnd(client, runId);
        const seconds = (performance.now() - t0) / 1000;
        const { n: partitions } = await partitionsOf(runId);
        const workedBy = Number(
          (
            await pg.query(
              `SELECT count(DISTINCT details->>'replica')::int AS n FROM immutable_audit_log
                WHERE action = 'batch:committed' AND subject->>'runId' = $1`,
              [runId],
            )
          ).rows[0]?.n,
        );
        const r = ROWS / seconds;
        scaling.push({ replicas: n, seconds, rowsPerSecond: r, ofCopy: r / copyRate, partitions, workedBy });
        say(
          `${n} replica${n > 1 ? 's' : ' '}:            ${rate(r)} rows/s (${seconds.toFixed(1)} s, ${partitions} partitions, worked by ${workedBy}) = ${(r / copyRate).toFixed(2)}× psql \\copy`,
        );
        client.close();
        await stopAll();
      }

      // takeover: kill a replica holding a partition, time until another claims it
      const replicas = await startReplicas(3, 'k');
      const first = replicas[0] as EngineProcess;
      const client = createJobServiceClient({ address: first.address, token: first.token });
      const runId = await submit(client, 'replicas-kill');
      let victim: { owner: string; partition: number } | undefined;
      while (!victim) {
        const [row] = (
          await pg.query(
            `SELECT owner, partition_no FROM run_checkpoints WHERE run_id = $1 AND owner IN ('k-1','k-2') AND NOT done AND batch_seq > 0 LIMIT 1`,
            [runId],
          )
        ).rows;
        if (row) victim = { owner: row.owner, partition: row.partition_no };
        else await new Promise((r) => setTimeout(r, 20));
      }
      const killed = replicas[Number(victim.owner.slice(2))] as EngineProcess;
      killed.child.kill('SIGKILL');
      const tKill = performance.now();
      for (;;) {
        const [row] = (
          await pg.query(`SELECT owner FROM run_checkpoints WHERE run_id = $1 AND partition_no = $2`, [
            runId,
            victim.partition,
          ])
        ).rows;
        if (row?.owner && row.owner !== victim.owner) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const takeoverSeconds = (performance.now() - tKill) / 1000;
      const done = await waitEnd(client, runId);
      const endSeconds = (performance.now() - tKill) / 1000;
      say(
        `takeover after SIGKILL: ${takeoverSeconds.toFixed(2)} s to the next claim of its partition (lease ${TTL_MS} ms); run ended ${endSeconds.toFixed(1)} s after the kill, ${done.loaded.toLocaleString('en-US')} loaded, reconciled ${done.reconciliation?.reconciled}`,
      );
      client.close();
      await stopAll();
      await pg.end();
      const result = {
        rows: ROWS,
        partitionBytes: PARTITION_BYTES,
        leaseTtlMs: TTL_MS,
        cores: os.cpus().length,
        copyRowsPerSecond: copyRate,
        scaling,
        takeoverSeconds,
        runEndAfterKillSeconds: endSeconds,
      };
      fs.mkdirSync(path.dirname(OUT), { recursive: true });
      fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
      say(`written ${path.relative(process.cwd(), OUT)}`);
    } finally {
      await stopAll();
    }
  });
}

main().catch((err) => {
  process.stderr.write(`bench:replicas failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
