import { createHash } from 'node:crypto';
import { type DataSource, type JobRunEntity } from '@strongroom/db';
import { ErrorCode } from '@strongroom/errors';
import { totalsEqual, totalsToJson, type Totals } from '../load/integrity';
import { type JobDefinition } from '../jobs/job-definition';
import { parseAmount } from '@strongroom/money';
import { type RunStats } from './run-context';
import { runRows } from './run-rows';
import { markFinished, type RunOutcome } from './run-status';

/**
 * Ends a run whose source is exhausted. Reads totals back from the sink and the dead-letter count
 * from the DLQ, checks conservation (I1: read = loaded + dead_lettered + filtered, with loaded and
 * dead_lettered as counted in the database) and reconciliation (I4: per-currency count and exact sum
 * in the sink = what the batches inserted), applies the reject-ratio policy, and records the RUN
 * integrity row, the performance figures, the final status and its audit entry in one transaction.
 * SUCCEEDED publishes the run's rows (transactions_published); FAILED deletes them (publishes nothing).
 */
export async function finalizeRun(
  ds: DataSource,
  run: JobRunEntity,
  def: JobDefinition,
  loadedTotals: Totals,
  digest: string,
  stats: RunStats,
  actor: string,
): Promise<void> {
  const sink = await sinkTotals(ds, run.id);
  const [{ n: dlqCount }] = (await ds.query(
    `SELECT count(*)::text AS n FROM dead_letter_queue WHERE run_id = $1 AND status <> 'REPLAYED'`,
    [run.id],
  )) as [{ n: string }];
  const read = BigInt(run.recordsRead);
  const loaded = BigInt(run.recordsLoaded);
  const dead = BigInt(run.recordsDeadLettered);
  const filtered = BigInt(run.recordsFiltered);
  const sinkCount = [...sink.values()].reduce((a, t) => a + t.count, 0n);

  let status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED';
  let errorCode: string | null = null;
  let errorMessage: string | null = null;
  const reconciled = totalsEqual(loadedTotals, sink) && sinkCount === loaded;
  const reason = reconciled ? null : describeMismatch(loadedTotals, sink, loaded, sinkCount);
  if (read !== sinkCount + BigInt(dlqCount) + filtered || loaded + dead + filtered !== read) {
    status = 'FAILED';
    errorCode = ErrorCode.CONSERVATION_VIOLATED;
    errorMessage = `read ${read} ≠ loaded ${sinkCount} (sink) + dead-lettered ${dlqCount} (DLQ) + filtered ${filtered}`;
  } else if (!reconciled) {
    status = 'FAILED';
    errorCode = ErrorCode.RECONCILIATION_FAILED;
    errorMessage = reason;
  } else if (read > 0n && Number(dead) / Number(read) > def.errors.maxRejectRatio) {
    status = 'FAILED';
    errorCode = ErrorCode.REJECT_RATIO_EXCEEDED;
    errorMessage = `${dead} of ${read} records rejected (${((Number(dead) / Number(read)) * 100).toFixed(2)}%) exceeds maxRejectRatio ${def.errors.maxRejectRatio}`;
  }

  const elapsedS = Math.max((performance.now() - stats.startedAt) / 1000, 0.001);
  const rate = Number(read) / elapsedS;
  const sorted = [...stats.commitMs].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted.length
      ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number).toFixed(3)
      : null;
  const runDigest = createHash('sha256').update(digest).digest('hex');

  await ds.transaction(async (em) => {
    // publish (SUCCEEDED: rows become visible through transactions_published) or publish nothing (FAILED:
    // markFinished removes the run's rows)
    await em.query(
      `INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, reconciled, details)
       VALUES ($1, NULL, 'RUN', $2, $3, $4, $5, $6)`,
      [
        run.id,
        loaded.toString(),
        JSON.stringify(totalsToJson(loadedTotals)),
        runDigest,
        reconciled,
        JSON.stringify({ sinkTotals: totalsToJson(sink), reason }),
      ],
    );
    await em.query(
      `INSERT INTO performance_metrics (run_id, records_per_second, batch_p50_ms, batch_p95_ms, batch_p99_ms, error_rate, peak_rss_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        run.id,
        rate.toFixed(2),
        pct(50),
        pct(95),
        pct(99),
        read > 0n ? (Number(dead) / Number(read)).toFixed(6) : '0',
        stats.peakRssBytes,
      ],
    );
    const outcome: RunOutcome = {
      status,
      sourceTotals: totalsToJson(loadedTotals),
      sinkTotals: totalsToJson(sink),
      reconciled,
      reconciliationReason: reason,
      errorCode,
      errorMessage,
    };
    await markFinished(
      em,
      run,
      outcome,
      {
        read: read.toString(),
        loaded: loaded.toString(),
        deadLettered: dead.toString(),
        filtered: filtered.toString(),
        reconciled,
        totals: totalsToJson(sink),
        digest: runDigest,
        errorCode,
      },
      actor,
    );
  });
  Object.assign(run, {
    status,
    finishedAt: new Date(),
    sourceTotals: totalsToJson(loadedTotals),
    sinkTotals: totalsToJson(sink),
    reconciled,
    reconciliationReason: reason,
    errorCode,
    errorMessage,
  });
}

/** Per-currency count and exact sum of what the sink holds for this run. */
export async function sinkTotals(ds: DataSource, runId: string): Promise<Totals> {
  const rows: { currency: string; n: string; total: string }[] = await ds.query(
    `SELECT t.currency, count(*)::text AS n, sum(t.amount)::text AS total FROM ${runRows('$1::uuid')} GROUP BY t.currency`,
    [runId],
  );
  const totals: Totals = new Map();
  for (const r of rows) {
    const m = parseAmount(r.total, r.currency);
    if (!m.ok) throw new Error(`sink total for ${r.currency} is not exact: ${r.total}`);
    totals.set(r.currency, { count: BigInt(r.n), minor: m.value.minor });
  }
  return totals;
}

function describeMismatch(source: Totals, sink: Totals, loaded: bigint, sinkCount: bigint): string {
  const parts: string[] = [];
  if (loaded !== sinkCount) parts.push(`loaded ${loaded} but the sink holds ${sinkCount} rows of this run`);
  for (const cur of new Set([...source.keys(), ...sink.keys()])) {
    const a = source.get(cur);
    const b = sink.get(cur);
    if (a?.count !== b?.count || a?.minor !== b?.minor) {
      parts.push(
        `${cur}: expected ${a?.count ?? 0n} rows / ${a?.minor ?? 0n} minor units, sink has ${b?.count ?? 0n} / ${b?.minor ?? 0n}`,
      );
    }
  }
  return parts.join('; ');
}
