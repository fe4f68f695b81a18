// `npm run bench:replicas [-- --rows N] [--partition-mb M] [--ttl-ms T] [--out FILE]`: scale-out figures
// (issue 18). On one throwaway embedded PostgreSQL and one generated file (default 600,000 transactions):
//   1. `psql \copy` of the file into an equivalent typed table (the floor, same file, same run);
//   2. the plain pipeline with 1, 2 and 3 engine replicas sharing the run by partitions (wall time from
//      RunJob to SUCCEEDED; each replica count loads under its own source system, so keys never collide);
//   3. takeover: 3 replicas, one SIGKILLed and one SIGSTOPped while each holds a partition; the time until
//      another replica has claimed each partition (the lease TTL plus up to a third of it for the next look),
//      the run's end, and the checks: every row once, per-currency sums equal to psql \copy's, fenced batches,
//      no commit under a superseded epoch.
// This machine's cores bound what more replicas can give: the figures are recorded, never asserted.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import { sqlExec } from '@strongroom/db';
import { createJobServiceClient, RunStatus, type JobServiceClient, type Run } from '@strongroom/contract';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { startEngineProcess, unaryCall, type EngineProcess } from '@strongroom/testing';
import { findPsql } from './psql';
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

async function main(): Promise<void> {
  if (!(ROWS > 0) || !(PARTITION_BYTES >= 4096) || !(TTL_MS >= 1000))
    throw new Error(
      'usage: npm run bench:replicas -- [--rows N] [--partition-mb M ≥ 0.004] [--ttl-ms T ≥ 1000] [--out FILE]',
    );
  const psql = findPsql();
  if (!psql) throw new Error('psql not found (PATH or /usr/lib/postgresql/*/bin): the comparison needs it');
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
      const { run } = await unaryCall<{ jobId: string; file: string }, { run?: Run }>(client, client.runJob, {
        jobId: job.job?.id ?? '',
        file: '',
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

    // the audit chain is one chain: every batch of every replica appends under one transaction-level
    // advisory lock. Its contention is sampled from pg_stat_activity while a run goes on: of the batch
    // worker sessions inside a statement, how many wait on an advisory lock (the chain's)
    const sampleChainWaits = () => {
      let samples = 0;
      let active = 0;
      let waiting = 0;
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        pg.query(
          `SELECT count(*) FILTER (WHERE state = 'active')::int AS active,
                  count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory')::int AS waiting
             FROM pg_stat_activity WHERE application_name = 'strongroom-batch-worker'`,
        )
          .then(({ rows }) => {
            samples++;
            active += Number(rows[0]?.active);
            waiting += Number(rows[0]?.waiting);
          })
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, 20);
      return () => {
        clearInterval(timer);
        return { samples, activeMean: active / Math.max(1, samples), waitingMean: waiting / Math.max(1, samples) };
      };
    };

    const scaling: {
      replicas: number;
      seconds: number;
      rowsPerSecond: number;
      ofCopy: number;
      partitions: number;
      workedBy: number;
      chainLockWaitingMean: number;
      workersActiveMean: number;
    }[] = [];
    try {
      for (const n of [1, 2, 3]) {
        const replicas = await startReplicas(n, `r${n}`);
        const first = replicas[0] as EngineProcess;
        const client = createJobServiceClient({ address: first.address, token: first.token });
        t0 = performance.now();
        const stopSampling = sampleChainWaits();
        const runId = await submit(client, `replicas-${n}`);
        await waitEnd(client, runId);
        const seconds = (performance.now() - t0) / 1000;
        const chain = stopSampling();
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
        scaling.push({
          replicas: n,
          seconds,
          rowsPerSecond: r,
          ofCopy: r / copyRate,
          partitions,
          workedBy,
          chainLockWaitingMean: chain.waitingMean,
          workersActiveMean: chain.activeMean,
        });
        say(
          `${n} replica${n > 1 ? 's' : ' '}:            ${rate(r)} rows/s (${seconds.toFixed(1)} s, ${partitions} partitions, worked by ${workedBy}) = ${(r / copyRate).toFixed(2)}× psql \\copy`,
        );
        say(
          `  audit chain lock:     ${chain.waitingMean.toFixed(2)} of ${chain.activeMean.toFixed(2)} busy batch sessions wait on it (mean of ${chain.samples} samples)`,
        );
        client.close();
        await stopAll();
      }

      // takeover: one replica SIGKILLed and another SIGSTOPped while each holds a partition; the time until
      // another replica has claimed the killed one's partition; the frozen one is thawed once its partition
      // is taken over. Nobody resumes anything.
      const replicas = await startReplicas(3, 'k');
      const first = replicas[0] as EngineProcess;
      const client = createJobServiceClient({ address: first.address, token: first.token });
      const runId = await submit(client, 'replicas-kill');
      const holding = async (owner: string) => {
        for (;;) {
          const [row] = (
            await pg.query(
              `SELECT partition_no FROM run_checkpoints WHERE run_id = $1 AND owner = $2 AND NOT done AND batch_seq > 0 LIMIT 1`,
              [runId, owner],
            )
          ).rows;
          if (row) return row.partition_no as number;
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const takenOver = async (partition: number, from: string) => {
        for (;;) {
          const [row] = (
            await pg.query(`SELECT owner FROM run_checkpoints WHERE run_id = $1 AND partition_no = $2`, [
              runId,
              partition,
            ])
          ).rows;
          if (row && row.owner !== from) return; // claimed by another replica (or already done by it)
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const killedPartition = await holding('k-1');
      (replicas[1] as EngineProcess).child.kill('SIGKILL');
      const tKill = performance.now();
      const frozenPartition = await holding('k-2');
      (replicas[2] as EngineProcess).child.kill('SIGSTOP');
      const tFreeze = performance.now();
      await takenOver(killedPartition, 'k-1');
      const takeoverSeconds = (performance.now() - tKill) / 1000;
      await takenOver(frozenPartition, 'k-2');
      const freezeTakeoverSeconds = (performance.now() - tFreeze) / 1000;
      (replicas[2] as EngineProcess).child.kill('SIGCONT');
      const done = await waitEnd(client, runId);
      const endSeconds = (performance.now() - tKill) / 1000;
      // the checks of the acceptance, against the same file loaded by psql \copy
      const [check] = (
        await pg.query(
          `SELECT (SELECT count(*) FROM transactions WHERE run_id = $1)::int AS rows,
                  (SELECT count(DISTINCT txn_id) FROM transactions WHERE run_id = $1)::int AS keys,
                  (SELECT coalesce(sum(fenced_batches), 0) FROM run_checkpoints WHERE run_id = $1)::int AS fenced,
                  (SELECT count(*) FROM (SELECT currency, sum(amount) FROM transactions WHERE run_id = $1 GROUP BY 1
                                          EXCEPT SELECT currency, sum(amount) FROM bench_copy GROUP BY 1) d)::int AS sums_differing,
                  (SELECT count(*) FROM (SELECT partition_no, lease_epoch, lag(lease_epoch) OVER (PARTITION BY partition_no ORDER BY batch_seq) AS before
                                           FROM transaction_integrity WHERE run_id = $1 AND scope = 'BATCH') e
                    WHERE lease_epoch < before)::int AS stale_commits`,
          [runId],
        )
      ).rows as { rows: number; keys: number; fenced: number; sums_differing: number; stale_commits: number }[];
      const chain = await verifyChain(sqlExec(pg));
      say(
        `takeover: SIGKILL → partition claimed again in ${takeoverSeconds.toFixed(2)} s; SIGSTOP → in ${freezeTakeoverSeconds.toFixed(2)} s (lease ${TTL_MS} ms); run ended ${endSeconds.toFixed(1)} s after the kill`,
      );
      say(
        `  ${check?.rows.toLocaleString('en-US')} rows, ${check?.keys.toLocaleString('en-US')} distinct keys, per-currency sums ${check?.sums_differing === 0 ? 'equal to' : 'DIFFERENT from'} psql \\copy's, ${check?.fenced} fenced batch(es), ${check?.stale_commits} commit(s) under a superseded epoch, reconciled ${done.reconciliation?.reconciled}, audit chain ${chain.ok ? 'verifies' : 'BROKEN'} (${chain.entries} entries)`,
      );
      if (!chain.ok) throw new Error('the audit chain does not verify');
      if (
        !check ||
        check.rows !== ROWS ||
        check.keys !== ROWS ||
        check.sums_differing !== 0 ||
        check.stale_commits !== 0
      )
        throw new Error(`the takeover run lost, duplicated or changed something: ${JSON.stringify(check)}`);
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
        freezeTakeoverSeconds,
        runEndAfterKillSeconds: endSeconds,
        takeoverChecks: check,
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
