import { decryptField, isEncrypted, type KeyProvider } from '@strongroom/compliance';
import { copyEscape } from '@strongroom/connectors';
import { type DataSource } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { DigestBuilder } from '../load/integrity';
import { getJob } from '../jobs/job-store';
import { sourceSystem as systemOf } from '../jobs/job-definition';
import { getRun } from './run-store';

export interface VerifyRunResult {
  ok: boolean;
  runId: string;
  batchesChecked: number;
  rowsChecked: number;
  /** First batch whose rows in the sink no longer match what was committed (0 when ok). */
  firstBadBatch: number;
  message: string;
}

/** cols index → field name of the encryptable columns (see the SELECT below). */
const FIELD_AT: Record<number, string> = {
  2: 'account',
  3: 'counterparty_account',
  4: 'counterparty_name',
  8: 'reference',
};

interface BatchInfo {
  seq: number;
  count: number;
  digest: string;
  builder: DigestBuilder;
  seen: number;
}

/** One committed batch of a run: what its integrity row records and what the sink holds now. */
export interface RecomputedBatch {
  seq: number;
  /** Rows and digest recorded in the batch's integrity row. */
  count: number;
  recorded: string;
  /** Rows of the batch in the sink now, and the digest of their canonical lines. */
  seen: number;
  digest: string;
}

/**
 * Recomputes a finished run's per-batch digests from the rows now in the sink: canonical lines in record
 * order, rebuilt from the stored values (RESTRICTED fields decrypted). Streams the rows in pages. `stray`
 * counts rows of the run that belong to no committed batch.
 */
export async function recomputeBatchDigests(
  ds: DataSource,
  runId: string,
  fieldKeys?: KeyProvider,
): Promise<{ jobId: string; batches: RecomputedBatch[]; rowsChecked: number; stray: number }> {
  const run = await getRun(ds, runId);
  if (run.status !== 'SUCCEEDED')
    throw new StrongroomError(
      ErrorCode.FAILED_PRECONDITION,
      `run ${runId} is ${run.status}; only a SUCCEEDED run can be verified`,
    );
  const job = await getJob(ds, run.jobId, run.jobVersion);
  if (job.definition.source.kind === 'kyc')
    throw new StrongroomError(
      ErrorCode.FAILED_PRECONDITION,
      `run ${runId} loaded the KYC register, which keeps one current row per account (no batches to recompute): its kyc:loaded audit entry holds the file's SHA-256 and counts`,
    );
  const sourceSystem = systemOf(job.definition);
  const rows: {
    batch_seq: number;
    record_count: string;
    digest_sha256: string;
    details: { firstRecord?: number; lastRecord?: number; recordNos?: number[] };
  }[] = await ds.query(
    `SELECT batch_seq, record_count::text AS record_count, digest_sha256, details FROM transaction_integrity WHERE run_id = $1 AND scope = 'BATCH' ORDER BY batch_seq`,
    [runId],
  );
  const batches = rows.map(
    (r) =>
      ({
        seq: r.batch_seq,
        count: Number(r.record_count),
        digest: r.digest_sha256,
        builder: new DigestBuilder(),
        seen: 0,
      }) as BatchInfo,
  );
  const ranges = rows.flatMap((r, i) =>
    r.details.recordNos
      ? []
      : [{ from: r.details.firstRecord ?? 0, to: r.details.lastRecord ?? 0, batch: batches[i] as BatchInfo }],
  );
  const explicit = new Map<number, BatchInfo>();
  rows.forEach((r, i) => r.details.recordNos?.forEach((n) => explicit.set(n, batches[i] as BatchInfo)));
  const batchOf = (recordNo: number) =>
    explicit.get(recordNo) ?? ranges.find((x) => recordNo >= x.from && recordNo <= x.to)?.batch;
  const clearOf = (field: string, v: string) => {
    if (!fieldKeys)
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `run ${runId} has encrypted fields and no field-encryption key ring is configured`,
      );
    return decryptField(fieldKeys, field, v);
  };
  let after = '0';
  let rowsChecked = 0;
  let stray = 0;
  let read = 0;
  for (;;) {
    // in id order, so each batch's rows come in record order (a batch inserts its rows in record order)
    const page: { id: string; n: string; cols: (string | null)[]; booked: string }[] = await ds.query(
      `SELECT id::text AS id, source_record_no::text AS n,
              ARRAY[source_system, txn_id, account, counterparty_account, counterparty_name, amount::text, currency, value_date::text, reference, card_pan_token, card_pan_masked] AS cols,
              to_char(booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ||
                CASE WHEN to_char(booked_at AT TIME ZONE 'UTC', 'US') = '000000' THEN '' ELSE '.' || to_char(booked_at AT TIME ZONE 'UTC', 'US') END || 'Z' AS booked
         FROM strongroom_run_rows($1, $2, 10000) t ORDER BY t.id`,
      [runId, after],
    );
    read += page.length;
    for (const r of page) {
      const n = Number(r.n);
      const b = batchOf(n);
      if (!b) {
        stray++;
        continue;
      }
      // encrypted (RESTRICTED) fields: the digest was taken over the clear values
      const c = r.cols.map((v, i) =>
        v !== null && isEncrypted(v) && FIELD_AT[i] ? clearOf(FIELD_AT[i] as string, v) : v,
      );
      const line = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], r.booked, c[7], c[8], c[9], c[10]]
        .map((v) => copyEscape(v ?? null))
        .join('\t');
      if (c[0] !== sourceSystem) stray++;
      b.builder.add(line);
      b.seen++;
      rowsChecked++;
    }
    if (page.length < 10_000) break;
    after = (page[page.length - 1] as { id: string }).id;
  }
  // a row of this run outside every range its batches recorded (added later, by hand) is read by no page:
  // count the run's rows across the whole sink (a sequential scan; there is no index on the run)
  const [all] = (await ds.query('SELECT count(*)::text AS n FROM transactions WHERE run_id = $1', [runId])) as {
    n: string;
  }[];
  stray += Math.max(0, Number(all?.n ?? 0) - read);
  const recomputed = batches.map((b) => ({
    seq: b.seq,
    count: b.count,
    recorded: b.digest,
    seen: b.seen,
    digest: b.builder.hex(),
  }));
  return { jobId: run.jobId, batches: recomputed, rowsChecked, stray };
}

/**
 * The digest of every committed batch of a run as the audit chain recorded it at commit time
 * (`batch:committed`, and `dlq:replayed` for the rows a replay added). The runtime database role cannot
 * change these entries, and a rewrite of the chain fails `audit verify` against a signed checkpoint.
 */
async function auditedDigests(ds: DataSource, runId: string): Promise<Map<number, string>> {
  const rows: { seq: number; digest: string | null }[] = await ds.query(
    `SELECT (subject->>'batchSeq')::int AS seq, details->>'digest' AS digest
       FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1
     UNION ALL
     SELECT (details->>'batchSeq')::int, details->>'digest'
       FROM immutable_audit_log WHERE action = 'dlq:replayed' AND subject->>'runId' = $1 AND details ? 'batchSeq'`,
    [runId],
  );
  return new Map(rows.filter((r) => r.digest).map((r) => [r.seq, r.digest as string]));
}

/**
 * Verifies a finished run from the inside out: each batch's rows in the sink must match the digest in its
 * integrity row, and that digest must equal the one the audit chain recorded when the batch committed. An
 * edited, deleted or added row makes its batch fail, and so does an edited row whose integrity digest was
 * rewritten to match. (Whether the audit chain itself is intact is `audit verify`'s question.)
 */
export async function verifyRun(ds: DataSource, runId: string, fieldKeys?: KeyProvider): Promise<VerifyRunResult> {
  const { jobId, batches, rowsChecked, stray } = await recomputeBatchDigests(ds, runId, fieldKeys);
  const audited = await auditedDigests(ds, runId);
  const result = (ok: boolean, firstBadBatch: number, message: string): VerifyRunResult => ({
    ok,
    runId,
    batchesChecked: batches.length,
    rowsChecked,
    firstBadBatch,
    message,
  });
  // rows the retention purge removed are recorded by the owner's purge function in sink_removals, which the
  // engine's role cannot write: a batch missing rows is lawful while the job's recorded removals cover them
  const [removals] = (await ds.query(
    `SELECT coalesce(sum(row_count), 0)::text AS n FROM sink_removals WHERE job_id = $1 AND reason = 'RETENTION'`,
    [jobId],
  )) as { n: string }[];
  const purgedForJob = Number(removals?.n ?? 0);
  let missing = 0;
  let partlyPurged = 0;
  for (const b of batches) {
    if (b.seen > b.count)
      return result(false, b.seq, `batch ${b.seq} committed ${b.count} rows; the sink now holds ${b.seen}`);
    if (b.seen < b.count) {
      missing += b.count - b.seen;
      if (missing > purgedForJob)
        return result(
          false,
          b.seq,
          `batch ${b.seq} committed ${b.count} rows; the sink now holds ${b.seen}, and the retention purge recorded removing only ${purgedForJob} of this job's rows`,
        );
      partlyPurged++;
      continue; // what remains of it cannot be held against its digest
    }
    if (b.digest !== b.recorded)
      return result(false, b.seq, `batch ${b.seq}: rows in the sink no longer match the committed digest`);
    const inChain = audited.get(b.seq);
    if (!inChain) return result(false, b.seq, `batch ${b.seq}: the audit chain holds no digest for it`);
    if (inChain !== b.recorded) {
      return result(
        false,
        b.seq,
        `batch ${b.seq}: its integrity row was changed (the digest differs from the one in the audit chain)`,
      );
    }
  }
  if (stray) return result(false, 0, `${stray} row(s) of this run belong to no committed batch`);
  const purgedNote = partlyPurged
    ? `; ${partlyPurged} batch(es) lost ${missing} row(s) to the retention purge (recorded in sink_removals) and were not checked`
    : '';
  return result(
    true,
    0,
    `${rowsChecked} rows in ${batches.length - partlyPurged} batches match their committed digests and the audit chain${purgedNote}`,
  );
}
