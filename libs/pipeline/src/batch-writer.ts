import { type ClientBase } from 'pg';
import { maskPansInText } from '@strongroom/compliance';
import { copyText } from '@strongroom/connectors';
import { addToTotals, canonicalLine, DigestBuilder, type Totals } from './integrity';
import { type CanonicalTransaction, type Rejection } from './types';

/** Columns written to the sink, in COPY order (canonicalLine's fields, then run_id, source_record_no). */
const SINK_COLUMNS =
  'source_system, txn_id, account, counterparty_account, counterparty_name, amount, currency, booked_at, value_date, reference, card_pan_token, card_pan_masked, run_id, source_record_no';

export interface BatchContext {
  runId: string;
  jobId: string;
  sourceSystem: string;
  dataClassification: string;
}

export interface BatchResult {
  loaded: number;
  deadLettered: number;
  filteredByReason: Record<string, number>;
  /** Totals of the rows this batch inserted into the sink. */
  totals: Totals;
  /** SHA-256 over the canonical lines of the inserted rows, in record order. */
  digest: string;
}

/** Creates the per-session staging table (rows vanish at commit). Call once per connection. */
export async function prepareStaging(client: ClientBase): Promise<void> {
  await client.query(`
    CREATE TEMP TABLE IF NOT EXISTS strongroom_stage (
      source_system text, txn_id text, account text, counterparty_account text, counterparty_name text,
      amount numeric, currency text, booked_at timestamptz, value_date date, reference text,
      card_pan_token text, card_pan_masked text, run_id uuid, source_record_no bigint
    ) ON COMMIT DELETE ROWS`);
}

/**
 * Writes one batch inside the caller's open transaction: COPY into staging, insert into the sink
 * skipping business keys that exist, then classify the skipped rows — a key repeated within this run
 * is dead-lettered as DUPLICATE_KEY; a key loaded by an earlier run with identical content is
 * filtered as ALREADY_LOADED; with different content it is dead-lettered as KEY_CONFLICT (never
 * silently dropped) — and dead-letter the validation rejections. Nothing here commits.
 */
export async function writeBatch(
  client: ClientBase,
  ctx: BatchContext,
  valid: readonly CanonicalTransaction[],
  rejected: readonly Rejection[],
): Promise<BatchResult> {
  const dead: Rejection[] = [...rejected];
  const filteredByReason: Record<string, number> = {};
  const totals: Totals = new Map();
  const digest = new DigestBuilder();
  let loaded = 0;
  if (valid.length) {
    const lines = valid.map((t) => canonicalLine(ctx.sourceSystem, t));
    await copyText(
      client,
      `strongroom_stage (${SINK_COLUMNS})`,
      lines.map((l, i) => `${l}\t${ctx.runId}\t${(valid[i] as CanonicalTransaction).recordNo}`),
    );
    const inserted = await client.query<{ source_record_no: string }>(
      `INSERT INTO transactions (${SINK_COLUMNS})
       SELECT ${SINK_COLUMNS} FROM strongroom_stage ORDER BY source_record_no
       ON CONFLICT ON CONSTRAINT transactions_business_key DO NOTHING
       RETURNING source_record_no`,
    );
    const insertedNos = new Set(inserted.rows.map((r) => Number(r.source_record_no)));
    const skipped = valid.filter((t) => !insertedNos.has(t.recordNo));
    const verdict = new Map<number, 'mine' | 'same' | 'conflict'>();
    if (skipped.length) {
      const r = await client.query<{ source_record_no: string; verdict: 'mine' | 'same' | 'conflict'; other_run: string | null }>(
        `SELECT s.source_record_no,
                CASE WHEN t.run_id IS NULL OR t.run_id = $1 THEN 'mine'
                     WHEN (t.account, t.counterparty_account, t.counterparty_name, t.amount, t.currency, t.booked_at,
                           t.value_date, t.reference, t.card_pan_token, t.card_pan_masked)
                          IS NOT DISTINCT FROM
                          (s.account, s.counterparty_account, s.counterparty_name, s.amount, s.currency, s.booked_at,
                           s.value_date, s.reference, s.card_pan_token, s.card_pan_masked) THEN 'same'
                     ELSE 'conflict' END AS verdict
           FROM strongroom_stage s
           LEFT JOIN transactions t ON t.source_system = s.source_system AND t.txn_id = s.txn_id
          WHERE s.source_record_no = ANY($2::bigint[])`,
        [ctx.runId, skipped.map((t) => t.recordNo)],
      );
      for (const x of r.rows) verdict.set(Number(x.source_record_no), x.verdict);
    }
    for (let i = 0; i < valid.length; i++) {
      const t = valid[i] as CanonicalTransaction;
      const v = insertedNos.has(t.recordNo) ? 'inserted' : verdict.get(t.recordNo) ?? 'mine';
      if (v === 'inserted') {
        loaded++;
        addToTotals(totals, t.currency, t.amount.minor);
        digest.add(lines[i] as string);
      } else if (v === 'same') {
        filteredByReason.ALREADY_LOADED = (filteredByReason.ALREADY_LOADED ?? 0) + 1;
      } else {
        dead.push({
          recordNo: t.recordNo,
          raw: maskPansInText(t.raw),
          code: v === 'mine' ? 'DUPLICATE_KEY' : 'KEY_CONFLICT',
          message:
            v === 'mine'
              ? `txn_id ${t.txnId} appears more than once in this source`
              : `txn_id ${t.txnId} was loaded earlier with different content`,
          field: 'txn_id',
        });
      }
    }
  }
  if (dead.length) {
    await client.query(
      `INSERT INTO dead_letter_queue (run_id, job_id, record_no, raw_record, reason_code, reason_message, field, data_classification)
       SELECT $1, $2, r.record_no, r.raw, r.code, r.message, r.field, $3
         FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[]) AS r(record_no, raw, code, message, field)
       ON CONFLICT (run_id, record_no) DO NOTHING`,
      [
        ctx.runId,
        ctx.jobId,
        ctx.dataClassification,
        dead.map((d) => d.recordNo),
        dead.map((d) => d.raw),
        dead.map((d) => d.code),
        dead.map((d) => d.message),
        dead.map((d) => d.field),
      ],
    );
  }
  return { loaded, deadLettered: dead.length, filteredByReason, totals, digest: digest.hex() };
}
