import { type ClientBase } from 'pg';
import { blindIndex, decryptField, encryptField } from '@strongroom/compliance';
import { copyEscape, LineBuffer, type CopyFieldKind } from '@strongroom/connectors';
import { type ComplianceChecks } from '../compliance/compliance-checks';
import { type EncryptableField } from '../jobs/job-definition';
import { type CanonicalTransaction, type Rejection } from '../types';
import { type BatchContext } from './batch-writer';
import { canonicalLine } from './integrity';
import { SpanTxn } from './span-rows';

/**
 * Columns written to the sink, in COPY order (canonicalLine's fields, then account_bidx, run_id,
 * source_record_no, and whether the job monitors AML: only such rows are in the AML look-back index).
 */
export const SINK_COLUMNS =
  'source_system, txn_id, account, counterparty_account, counterparty_name, amount, currency, booked_at, value_date, reference, card_pan_token, card_pan_masked, account_bidx, run_id, source_record_no, aml_monitored';

/** What became of a valid row in the sink: inserted now, or why not (classified against what is there). */
export type Verdict = 'inserted' | 'mine' | 'same' | 'conflict' | Rejection;

/**
 * A batch's rows as bytes, in row order: the canonical lines (the digest input, each ended by "\n") and
 * the binary COPY tuples (as stored, with the run columns; PostgreSQL parses no numeric, timestamp or uuid
 * text). Kept outside the JavaScript heap while the batch waits for its commit.
 */
export interface SinkLines {
  canonical: LineBuffer;
  copy: LineBuffer;
}

/** The COPY format of SinkLines.copy. */
export const SINK_COPY_FORMAT = 'binary';

const SINK_FIELD_COUNT = SINK_COLUMNS.split(',').length;

/** A uuid as a binary COPY field (its length, then its 16 bytes). */
function uuidField(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a uuid: ${uuid}`);
  return Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from(hex, 'hex')]);
}

const BOOL_FIELD = { t: Buffer.from([0, 0, 0, 1, 1]), f: Buffer.from([0, 0, 0, 1, 0]) };

/** The types of canonicalLine's columns, in order (source_system … card_pan_masked). */
const CANONICAL_KINDS: readonly CopyFieldKind[] = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'numeric',
  'text',
  'timestamptz',
  'date',
  'text',
  'text',
  'text',
];

/**
 * Builds the canonical lines and COPY tuples of `rows`, appended to `into` when given (pure CPU: the run
 * executor does it, piece by piece, while the previous batch commits).
 */
export function sinkLines(
  ctx: Pick<BatchContext, 'sourceSystem' | 'runId' | 'checks'>,
  rows: readonly CanonicalTransaction[],
  into: SinkLines = { canonical: new LineBuffer(rows.length * 192), copy: new LineBuffer(rows.length * 256) },
): SinkLines {
  const { canonical, copy } = into;
  const monitored = ctx.checks?.aml ? BOOL_FIELD.t : BOOL_FIELD.f;
  const run = uuidField(ctx.runId);
  const noBidxAndRun = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), run]);
  const enc = ctx.checks?.encryption;
  // with encryption, the line as stored (RESTRICTED fields encrypted) is made here, one row at a time
  const stored = enc ? new LineBuffer(1024) : undefined;
  for (let i = 0; i < rows.length; i++) {
    const t = rows[i] as CanonicalTransaction;
    // the tuple in SINK_COLUMNS order: the canonical line's columns, account_bidx, then the run columns
    copy.int16(SINK_FIELD_COUNT);
    if (enc && stored) {
      const clear = canonicalLine(ctx.sourceSystem, t);
      canonical.write(clear);
      canonical.endLine();
      stored.clear();
      stored.write(storedLine(enc, t, clear));
      stored.endLine();
      copy.copyLineToBinary(stored, 0, CANONICAL_KINDS);
      copy.textField(enc.fields.includes('account') ? blindIndex(enc.keys, 'account', t.account) : null);
      copy.append(run);
    } else {
      // canonicalLine's columns, written to the line and the tuple at once (no string per row: a batch
      // allocates about a kilobyte less per row, which the young generation's collections no longer sweep)
      canonical.columnPair(ctx.sourceSystem, 'text', copy, true);
      if (t instanceof SpanTxn) {
        t.writeColumns(canonical, copy); // a row validated on its record's bytes: copied from them
      } else {
        canonical.columnPair(t.txnId, 'text', copy);
        canonical.columnPair(t.account, 'text', copy);
        canonical.columnPair(t.counterpartyAccount, 'text', copy);
        canonical.columnPair(t.counterpartyName, 'text', copy);
        canonical.columnPair(t.amount.decimal, 'numeric', copy);
        canonical.columnPair(t.currency, 'text', copy);
        canonical.columnPair(t.bookedAt, 'timestamptz', copy);
        canonical.columnPair(t.valueDate, 'date', copy);
        canonical.columnPair(t.reference, 'text', copy);
        canonical.columnPair(t.cardPanToken, 'text', copy);
        canonical.columnPair(t.cardPanMasked, 'text', copy);
      }
      canonical.endLine();
      copy.append(noBidxAndRun); // account_bidx null, run_id
    }
    copy.int8Field(t.recordNo);
    copy.append(monitored);
    copy.endRow();
  }
  return into;
}

/** Position of each encryptable field in a canonical line, and its clear value. */
const ENCRYPTABLE: Record<EncryptableField, { col: number; value: (t: CanonicalTransaction) => string | null }> = {
  account: { col: 2, value: (t) => t.account },
  counterparty_account: { col: 3, value: (t) => t.counterpartyAccount },
  counterparty_name: { col: 4, value: (t) => t.counterpartyName },
  reference: { col: 9, value: (t) => t.reference },
};

/** The canonical line as stored with encryption: RESTRICTED fields encrypted (COPY-text escaped). */
function storedLine(enc: NonNullable<ComplianceChecks['encryption']>, t: CanonicalTransaction, clear: string): string {
  const cols = clear.split('\t');
  for (const f of enc.fields) {
    const v = ENCRYPTABLE[f].value(t);
    if (v !== null) cols[ENCRYPTABLE[f].col] = copyEscape(encryptField(enc.keys, f, v));
  }
  return cols.join('\t');
}

/**
 * Re-deliveries when fields are encrypted: stored values carry a fresh IV, so equality is decided on
 * the decrypted row — identical content from an earlier run is ALREADY_LOADED, different content a
 * KEY_CONFLICT, the same key earlier in this run a DUPLICATE_KEY.
 */
export async function classifyEncrypted(
  client: ClientBase,
  ctx: BatchContext,
  rows: CanonicalTransaction[],
  skipped: number[],
  out: Map<number, Verdict>,
): Promise<void> {
  const enc = ctx.checks?.encryption as NonNullable<ComplianceChecks['encryption']>;
  const r = await client.query<{
    source_record_no: string;
    mine: boolean;
    cols: (string | null)[] | null;
    booked: string | null;
  }>(
    `SELECT s.source_record_no, (t.run_id IS NULL OR t.run_id = $1) AS mine,
            ARRAY[t.source_system, t.txn_id, t.account, t.counterparty_account, t.counterparty_name, t.amount::text, t.currency, t.value_date::text, t.reference, t.card_pan_token, t.card_pan_masked] AS cols,
            ${BOOKED_ISO('t.booked_at')} AS booked
       FROM strongroom_stage s LEFT JOIN transactions t ON t.source_system = s.source_system AND t.txn_id = s.txn_id
      WHERE s.source_record_no = ANY($2::bigint[])`,
    [ctx.runId, skipped],
  );
  const byNo = new Map(rows.map((t) => [t.recordNo, t]));
  for (const x of r.rows) {
    const no = Number(x.source_record_no);
    if (x.mine || !x.cols) {
      out.set(no, 'mine');
      continue;
    }
    const c = x.cols.map((v, i) =>
      v !== null && [2, 3, 4, 8].includes(i)
        ? decryptField(
            enc.keys,
            ['', '', 'account', 'counterparty_account', 'counterparty_name', '', '', '', 'reference'][i] as string,
            v,
          )
        : v,
    );
    const line = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], x.booked, c[7], c[8], c[9], c[10]]
      .map((v) => copyEscape(v ?? null))
      .join('\t');
    out.set(no, line === canonicalLine(ctx.sourceSystem, byNo.get(no) as CanonicalTransaction) ? 'same' : 'conflict');
  }
}

/** booked_at rendered exactly as canonicalLine writes it (UTC ISO, microseconds only when non-zero). */
export const BOOKED_ISO = (col: string) =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN to_char(${col} AT TIME ZONE 'UTC', 'US') = '000000' THEN '' ELSE '.' || to_char(${col} AT TIME ZONE 'UTC', 'US') END || 'Z'`;
