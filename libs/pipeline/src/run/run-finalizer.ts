import { createHash } from 'node:crypto';
import { type DataSource, discardQueryRunner, type JobRunEntity, type QueryRunner } from '@strongroom/db';
import { ErrorCode } from '@strongroom/errors';
import { totalsEqual, totalsToJson, type Totals } from '../load/integrity';
import { type JobDefinition } from '../jobs/job-definition';
import { DecimalSum, parseAmount } from '@strongroom/money';
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

/** How the final totals are read back: on how many sessions at once, and from how many rows on. */
export interface SinkTotalsReading {
  /** Sessions that read the run's rows at once, sharing one snapshot (1: one statement). */
  readers: number;
  /** Each reader takes at least this many ids of the run's ranges; a smaller run is read by one statement. */
  minIdsPerReader: number;
  /** How long to wait for each session of the pool (default READER_SESSION_WAIT_MS). */
  sessionWaitMs?: number;
  /** Test-only: runs after the first session has exported its snapshot, before the others import it. */
  afterExport?: () => Promise<void>;
}

/**
 * By default a large run is read back on two sessions: the last batch has committed, so the engine is idle
 * while PostgreSQL reads, and a second backend uses the core it leaves (docs/performance-tuning.md).
 */
export const SINK_TOTALS_READING: SinkTotalsReading = { readers: 2, minIdsPerReader: 100_000 };

/**
 * How long a reader waits for a session of the pool (enough to open a new connection). The caller may hold one
 * already (a run's batch worker): a reader that waited for one while every other was held the same way would wait
 * for ever, so one that does not get a session in this time is done without (fewer readers, down to one statement).
 */
const READER_SESSION_WAIT_MS = 200;

/** One reader's share of the run's id ranges. */
interface IdRanges {
  lo: string[];
  hi: string[];
}

/**
 * Per-currency count and exact sum of what the sink holds for this run (I4: read back from the sink). The run's
 * id ranges are cut into up to `readers` equal spans of at least `minIdsPerReader` ids (splitRanges), each read
 * by its own session; every session reads in the snapshot the first one exported, so together they see exactly
 * what one statement would, and their partial sums are added exactly (decimal, never a JS number). Sessions the
 * pool cannot give at once are done without.
 */
export async function sinkTotals(
  ds: DataSource,
  runId: string,
  reading: SinkTotalsReading = SINK_TOTALS_READING,
): Promise<Totals> {
  // a run too small to share (most runs) is read by one statement; the ranges looked at here only decide that
  const wanted =
    reading.readers < 2 ? 1 : splitRanges((await ds.query(RUN_RANGES, [runId])) as IdRange[], reading).length;
  const sessions: QueryRunner[] = [];
  for (let i = 0; i < wanted && wanted > 1; i++) {
    const session = await sessionAtOnce(ds, reading.sessionWaitMs ?? READER_SESSION_WAIT_MS);
    if (!session) break;
    sessions.push(session);
  }
  if (sessions.length < 2) {
    for (const s of sessions) await s.release();
    return totalsFromRows(await ds.query(SINK_TOTALS, [runId]));
  }
  const [lead, ...others] = sessions as [QueryRunner, ...QueryRunner[]];
  // the sessions in a transaction: each is committed, or rolled back (else closed) before it goes back to the pool
  const open = new Set<QueryRunner>();
  try {
    await lead.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open.add(lead);
    const [{ snapshot }] = (await lead.query('SELECT pg_export_snapshot() AS snapshot')) as [{ snapshot: string }];
    // the ranges again, in the snapshot the readers share, cut for the sessions there are
    const shares = splitRanges((await lead.query(RUN_RANGES, [runId])) as IdRange[], {
      ...reading,
      readers: sessions.length,
    });
    await reading.afterExport?.();
    // every read ends before anything is cleaned up (a session is never handed back with a statement in flight)
    const read = await Promise.allSettled(
      shares.map(async (share, i) => {
        const session = i === 0 ? lead : (others[i - 1] as QueryRunner);
        if (i > 0) {
          await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          open.add(session);
          await session.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
        }
        return (await session.query(SINK_TOTALS_OF, [runId, share.lo, share.hi])) as TotalRow[];
      }),
    );
    const failed = read.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const session of open) {
      await session.query('COMMIT');
      open.delete(session);
    }
    return totalsFromRows(mergeTotalRows(read.flatMap((r) => (r.status === 'fulfilled' ? r.value : []))));
  } finally {
    for (const session of sessions) {
      const clean =
        !open.has(session) ||
        (await session.query('ROLLBACK').then(
          () => true,
          () => false,
        ));
      await (clean ? session.release() : discardQueryRunner(session)).catch(() => undefined);
    }
  }
}

/** A session of the pool if it gives one within `waitMs`; one it gives later goes straight back. */
async function sessionAtOnce(ds: DataSource, waitMs: number): Promise<QueryRunner | undefined> {
  const session = ds.createQueryRunner();
  const connecting = session.connect().then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const got = await Promise.race([
    connecting,
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    }),
  ]);
  clearTimeout(timer);
  if (got) return session;
  void connecting.then((late) => (late ? session.release() : undefined)).catch(() => undefined);
  return undefined;
}

type TotalRow = { currency: string; n: string; total: string };
type IdRange = { lo: string; hi: string };

/** The run's id ranges, in order. */
const RUN_RANGES = `SELECT lo::text AS lo, hi::text AS hi FROM strongroom_run_ranges($1::uuid) ORDER BY lo`;

/** The run's totals in one statement. */
const SINK_TOTALS = `SELECT t.currency, count(*)::text AS n, sum(t.amount)::text AS total FROM ${runRows('$1::uuid')} GROUP BY t.currency`;

/** The totals of the run's rows within the given id ranges ($2 lows, $3 highs), each range read by the primary key. */
const SINK_TOTALS_OF = `SELECT t.currency, count(*)::text AS n, sum(t.amount)::text AS total
   FROM unnest($2::bigint[], $3::bigint[]) r(lo, hi)
   CROSS JOIN LATERAL (SELECT x.currency, x.amount FROM transactions x
                        WHERE x.id BETWEEN r.lo AND r.hi AND x.run_id = $1::uuid OFFSET 0) t
  GROUP BY t.currency`;

/**
 * The run's id ranges cut into at most `readers` shares of equal spans of ids (the last may be shorter): as many
 * as the ranges hold `minIdsPerReader` ids, at least one. A range may be cut between two shares.
 */
export function splitRanges(ranges: readonly IdRange[], reading: SinkTotalsReading): IdRanges[] {
  const spans = ranges.map((r) => ({ lo: BigInt(r.lo), hi: BigInt(r.hi) }));
  const total = spans.reduce((n, r) => n + (r.hi - r.lo + 1n), 0n);
  const most = total / BigInt(Math.max(1, reading.minIdsPerReader));
  const readers = BigInt(Math.max(1, reading.readers));
  const count = most < 1n ? 1n : most < readers ? most : readers;
  const each = (total + count - 1n) / count; // ids per share, the last may have fewer
  const shares: IdRanges[] = [{ lo: [], hi: [] }];
  let room = each;
  for (const r of spans) {
    let lo = r.lo;
    while (lo <= r.hi) {
      if (room === 0n) {
        shares.push({ lo: [], hi: [] });
        room = each;
      }
      const hi = r.hi - lo + 1n > room ? lo + room - 1n : r.hi;
      const share = shares[shares.length - 1] as IdRanges;
      share.lo.push(lo.toString());
      share.hi.push(hi.toString());
      room -= hi - lo + 1n;
      lo = hi + 1n;
    }
  }
  return shares;
}

/** Partial totals of the same currency added: counts as integers, sums as exact decimals. */
function mergeTotalRows(rows: readonly TotalRow[]): TotalRow[] {
  const merged = new Map<string, { n: bigint; total: DecimalSum }>();
  for (const r of rows) {
    const m = merged.get(r.currency) ?? { n: 0n, total: new DecimalSum() };
    m.n += BigInt(r.n);
    m.total.add(r.total);
    merged.set(r.currency, m);
  }
  return [...merged].map(([currency, m]) => ({ currency, n: m.n.toString(), total: m.total.toString() }));
}

function totalsFromRows(rows: readonly TotalRow[]): Totals {
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
