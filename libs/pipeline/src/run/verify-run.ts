import { decryptField, isEncrypted, type KeyProvider } from '@strongroom/compliance';
import { copyEscape } from '@strongroom/connectors';
import { type DataSource } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { DigestBuilder } from '../load/integrity';
import { getJob } from '../jobs/job-store';
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

/**
 * Recomputes a finished run's per-batch digests from the rows now in the sink (canonical lines in
 * record order, rebuilt from the stored values) and compares them with the digests committed with
 * each batch. An edited, deleted or added row makes its batch fail. Streams the rows in pages.
 */
export async function verifyRun(ds: DataSource, runId: string, fieldKeys?: KeyProvider): Promise<VerifyRunResult> {
  const run = await getRun(ds, runId);
  if (run.status !== 'SUCCEEDED')
    throw new StrongroomError(
      ErrorCode.FAILED_PRECONDITION,
      `run ${runId} is ${run.status}; only a SUCCEEDED run can be verified`,
    );
  const job = await getJob(ds, run.jobId, run.jobVersion);
  const sourceSystem = job.definition.source.system ?? job.definition.name;
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
  let after = 0;
  let rowsChecked = 0;
  let stray = 0;
  for (;;) {
    const page: { n: string; cols: (string | null)[]; booked: string }[] = await ds.query(
      `SELECT source_record_no::text AS n,
              ARRAY[source_system, txn_id, account, counterparty_account, counterparty_name, amount::text, currency, value_date::text, reference, card_pan_token, card_pan_masked] AS cols,
              to_char(booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ||
                CASE WHEN to_char(booked_at AT TIME ZONE 'UTC', 'US') = '000000' THEN '' ELSE '.' || to_char(booked_at AT TIME ZONE 'UTC', 'US') END || 'Z' AS booked
         FROM transactions WHERE run_id = $1 AND source_record_no > $2 ORDER BY source_record_no LIMIT 10000`,
      [runId, after],
    );
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
    after = Number((page[page.length - 1] as { n: string }).n);
  }
  for (const b of batches) {
    const digest = b.builder.hex();
    if (b.seen !== b.count || digest !== b.digest) {
      return {
        ok: false,
        runId,
        batchesChecked: batches.length,
        rowsChecked,
        firstBadBatch: b.seq,
        message:
          b.seen !== b.count
            ? `batch ${b.seq} committed ${b.count} rows; the sink now holds ${b.seen}`
            : `batch ${b.seq}: rows in the sink no longer match the committed digest`,
      };
    }
  }
  if (stray)
    return {
      ok: false,
      runId,
      batchesChecked: batches.length,
      rowsChecked,
      firstBadBatch: 0,
      message: `${stray} row(s) of this run belong to no committed batch`,
    };
  return {
    ok: true,
    runId,
    batchesChecked: batches.length,
    rowsChecked,
    firstBadBatch: 0,
    message: `${rowsChecked} rows in ${batches.length} batches match their committed digests`,
  };
}
