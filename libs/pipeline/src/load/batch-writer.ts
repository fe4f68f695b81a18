import { type ClientBase, type QueryResult } from 'pg';
import { maskPansInText } from '@strongroom/compliance';
import { copyBytes, type LineBuffer } from '@strongroom/connectors';
import { pgErrorCode } from '@strongroom/errors';
import { addToTotals, DigestBuilder, type Totals } from './integrity';
import { type CanonicalTransaction, type Rejection } from '../types';
import { kycHeld, type ComplianceChecks } from '../compliance/compliance-checks';
import {
  classifyEncrypted,
  SINK_COLUMNS,
  SINK_COPY_FORMAT,
  sinkLines,
  type SinkLines,
  type Verdict,
} from './sink-lines';
import { insertDeadLetters } from './dead-letter-rows';
import { repeatedKeys } from './span-rows';

export { SINK_COLUMNS, sinkLines, type SinkLines };

export interface BatchContext {
  runId: string;
  jobId: string;
  sourceSystem: string;
  dataClassification: string;
  /** Compliance checks on the loaded rows, inside the batch's transaction (AML, sanctions, KYC). */
  checks?: ComplianceChecks;
  /** Test-only crash points (see RunContext.crash). */
  crash?: (point: string) => void;
  /** The direct-COPY fast path's back-off across the batches of one run (see loadRows); created on first use. */
  fastPath?: FastPathState;
}

/**
 * A batch is first loaded by one COPY straight into the sink. If any row collides with a key or is
 * refused, the COPY rolls back to its savepoint and the batch goes through staging + ON CONFLICT, which
 * classifies every row. A source that collides once is likely to again (a re-delivery, a file with
 * repeated ids), so the fast path is then skipped for `penalty` batches, doubling up to 64.
 */
export interface FastPathState {
  skip: number;
  penalty: number;
  /** Batches loaded by the fast path, and fallbacks (for tests and the run log). */
  used: number;
  fellBack: number;
}

export interface BatchResult {
  loaded: number;
  deadLettered: number;
  filteredByReason: Record<string, number>;
  /** Totals of the rows this batch inserted into the sink. */
  totals: Totals;
  /** SHA-256 over the canonical lines of the inserted rows, in record order. */
  digest: string;
  /** Every dead letter of the batch (validation and load), in record order. */
  rejections: Rejection[];
  /** See LoadResult.idFloor. */
  idFloor: string | null;
  /** The valid rows that did not load (filtered or dead-lettered), by record number: every other valid row did. */
  notLoaded: ReadonlySet<number>;
}

/** Connections whose session has the staging table (a pooled connection keeps its client object). */
const STAGED = new WeakSet<ClientBase>();

/** Creates the per-session staging table (rows vanish at commit), once per connection. */
export async function prepareStaging(client: ClientBase): Promise<void> {
  if (STAGED.has(client)) return;
  await client.query(`
    CREATE TEMP TABLE IF NOT EXISTS strongroom_stage (
      source_system text, txn_id text, account text, counterparty_account text, counterparty_name text,
      amount numeric, currency text, booked_at timestamptz, value_date date, reference text,
      card_pan_token text, card_pan_masked text, account_bidx text, run_id uuid, source_record_no bigint,
      aml_monitored boolean
    ) ON COMMIT DELETE ROWS`);
  STAGED.add(client);
}

/** A COPY payload PostgreSQL cannot read (invalid binary representation, bad COPY format): the engine's defect. */
const PAYLOAD_DEFECTS = new Set(['22P03', '22P04']);

/**
 * Errors caused by one row's values (data exceptions, integrity violations): isolate, don't fail. A payload
 * the engine encoded wrongly is not one: dead-lettering every row for it would hide the defect, so the batch
 * fails instead.
 */
function isRowLevel(err: unknown): boolean {
  const code = pgErrorCode(err);
  return code !== undefined && !PAYLOAD_DEFECTS.has(code) && (code.startsWith('22') || code.startsWith('23'));
}

function loadRejection(t: CanonicalTransaction, err: unknown): Rejection {
  const e = err as { code?: string; constraint?: string; message?: string };
  const what = e.constraint
    ? `violates constraint ${e.constraint}`
    : maskPansInText(String(e.message ?? 'rejected').slice(0, 200));
  return {
    recordNo: t.recordNo,
    raw: maskPansInText(t.raw),
    code: 'LOAD_REJECTED',
    message: `the database refused the row: ${what} (SQLSTATE ${e.code})`,
    field: null,
  };
}

/**
 * Inserts rows through staging inside a savepoint. A row-level database error (SQLSTATE class 22/23)
 * rolls back to the savepoint and the set is split in halves until the offending rows are alone;
 * they become LOAD_REJECTED dead letters and every other row still loads.
 */
async function insertIsolating(
  client: ClientBase,
  ctx: BatchContext,
  rows: CanonicalTransaction[],
  lines: Map<number, Buffer>,
  out: Map<number, Verdict>,
  top: boolean,
): Promise<void> {
  if (!rows.length) return;
  await client.query('SAVEPOINT strongroom_rows');
  try {
    await copyBytes(
      client,
      `strongroom_stage (${SINK_COLUMNS})`,
      Buffer.concat(rows.map((t) => lines.get(t.recordNo) as Buffer)),
      SINK_COPY_FORMAT,
    );
    if (top) ctx.crash?.('batch:mid-copy');
    const inserted = await client.query<{ source_record_no: string }>(
      `INSERT INTO transactions (${SINK_COLUMNS})
       SELECT ${SINK_COLUMNS} FROM strongroom_stage ORDER BY source_record_no
       ON CONFLICT ON CONSTRAINT transactions_business_key DO NOTHING
       RETURNING source_record_no`,
    );
    for (const r of inserted.rows) out.set(Number(r.source_record_no), 'inserted');
    const skipped = rows.filter((t) => !out.has(t.recordNo)).map((t) => t.recordNo);
    if (skipped.length && ctx.checks?.encryption) {
      await classifyEncrypted(client, ctx, rows, skipped, out);
    } else if (skipped.length) {
      const r = await client.query<{ source_record_no: string; verdict: 'mine' | 'same' | 'conflict' }>(
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
        [ctx.runId, skipped],
      );
      for (const x of r.rows) out.set(Number(x.source_record_no), x.verdict);
    }
    await client.query('DELETE FROM strongroom_stage');
    await client.query('RELEASE SAVEPOINT strongroom_rows');
  } catch (err) {
    if (!isRowLevel(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT strongroom_rows');
    for (const t of rows) out.delete(t.recordNo);
    if (rows.length === 1) {
      out.set((rows[0] as CanonicalTransaction).recordNo, loadRejection(rows[0] as CanonicalTransaction, err));
      return;
    }
    const mid = Math.ceil(rows.length / 2);
    await insertIsolating(client, ctx, rows.slice(0, mid), lines, out, false);
    await insertIsolating(client, ctx, rows.slice(mid), lines, out, false);
  }
}

export interface LoadResult {
  loaded: number;
  filteredByReason: Record<string, number>;
  totals: Totals;
  digest: string;
  /** Rows that did not load (DUPLICATE_KEY, KEY_CONFLICT, LOAD_REJECTED), by record number order. */
  dead: Rejection[];
  /** The rows that did not load, by record number: 'filtered' or the rejection (every other valid row loaded). */
  notLoaded: Map<number, 'filtered' | Rejection>;
  /**
   * An identity value taken before the inserts (burned): every row this call inserted has a larger id, at
   * most the session's `currval` of the sink's identity afterwards. Null when there was no row to insert.
   */
  idFloor: string | null;
}

/** The sink's identity, whose values mark where a batch's rows lie (integrity rows' first_id…last_id). */
export const SINK_ID_SEQUENCE = 'transactions_id_seq';

/** An identity value taken before a batch's inserts (burned): its rows' ids are larger. */
const ID_FLOOR_SQL = `SELECT nextval('${SINK_ID_SEQUENCE}')::text AS lo`;

/** Whether the direct COPY is skipping this batch (it backs off after a fallback; see FastPathState). */
const backingOff = (ctx: BatchContext) => (ctx.fastPath?.skip ?? 0) > 0;

/** How a batch's transaction was opened (beginBatch): its id floor, and whether the fast path's savepoint is set. */
export interface BatchOpening {
  idFloor: string | null;
  savepoint: boolean;
  /** The rows of the caller's `lookup` statement, read first in the transaction. */
  found?: Record<string, unknown>[];
}

/**
 * Opens a batch's transaction in one round trip (statements without parameters go together in one simple
 * query): BEGIN, the caller's `lookup` (a SELECT whose values are already literals, e.g. a stream batch's
 * re-send check), the id floor when the batch has rows to insert, and the fast path's savepoint when the caller
 * allows it and the direct COPY will be tried. A caller that takes row locks to fence the batch does not allow
 * it: rolling back to a savepoint set before those locks would release them.
 */
export async function beginBatch(
  client: ClientBase,
  ctx: BatchContext,
  rows: number,
  savepointAllowed: boolean,
  lookup?: string,
): Promise<BatchOpening> {
  const savepoint = savepointAllowed && rows > 0 && ctx.checks?.kyc !== 'hold' && !backingOff(ctx);
  const sql = ['BEGIN'];
  if (lookup) sql.push(lookup);
  if (rows > 0) sql.push(ID_FLOOR_SQL);
  if (savepoint) sql.push('SAVEPOINT strongroom_direct');
  const out = (await client.query(sql.join('; '))) as unknown as QueryResult | QueryResult[];
  const results = Array.isArray(out) ? out : [out];
  const floorAt = lookup ? 2 : 1;
  const floor = rows > 0 ? (results[floorAt] as QueryResult<{ lo: string }>).rows[0]?.lo : undefined;
  return {
    idFloor: floor ?? null,
    savepoint,
    ...(lookup ? { found: (results[1] as QueryResult<Record<string, unknown>>).rows } : {}),
  };
}

/**
 * Loads valid rows inside the caller's open transaction (through staging, isolating rows the database
 * refuses) and classifies those that did not insert: a key repeated within this run → DUPLICATE_KEY;
 * a key an earlier run loaded with identical content → filtered as ALREADY_LOADED; with different
 * content → KEY_CONFLICT (never silently dropped). Writes no dead letters itself. Tries the direct
 * COPY first when no row is held for KYC (FastPathState); a key repeated within the batch leaves its
 * later rows out of that COPY.
 */
export async function loadRows(
  client: ClientBase,
  ctx: BatchContext,
  valid: readonly CanonicalTransaction[],
  prepared?: SinkLines,
  /** The transaction as beginBatch opened it (else the id floor is taken here). */
  opening?: BatchOpening,
): Promise<LoadResult> {
  const filteredByReason: Record<string, number> = {};
  const totals: Totals = new Map();
  const digest = new DigestBuilder();
  const dead: Rejection[] = [];
  const notLoaded = new Map<number, 'filtered' | Rejection>();
  let loaded = 0;
  const { canonical, copy } = prepared ?? sinkLines(ctx, valid);
  const verdicts = new Map<number, Verdict>();
  const idFloor =
    opening?.idFloor ??
    (valid.length
      ? (
          await client.query<{ lo: string }>({
            name: 'strongroom_id_floor',
            text: ID_FLOOR_SQL,
          })
        ).rows[0]!.lo
      : null);
  // KYC hold policy: rows of accounts without valid KYC are dead-lettered instead of loaded
  const held = ctx.checks?.kyc === 'hold' ? await kycHeld(client, valid) : new Map<number, string>();
  const byNo = held.size ? new Map(valid.map((t) => [t.recordNo, t])) : undefined;
  for (const [recordNo, kyc] of held) {
    const t = byNo?.get(recordNo) as CanonicalTransaction;
    verdicts.set(recordNo, {
      recordNo,
      raw: maskPansInText(t.raw),
      code: 'KYC_HOLD',
      message: `held: the account has no valid KYC (${kyc}); replay once it is verified`,
      field: 'account',
    });
  }
  // the direct COPY inserted every row but the later ones of a key repeated in the batch: no verdict to look up
  const direct = held.size ? undefined : await copyDirect(client, ctx, valid, copy, opening?.savepoint ?? false);
  if (!direct) {
    const copyByNo = new Map(valid.map((t, i) => [t.recordNo, copy.line(i)]));
    await insertIsolating(
      client,
      ctx,
      held.size ? valid.filter((t) => !held.has(t.recordNo)) : [...valid],
      copyByNo,
      verdicts,
      true,
    );
  }
  // the digest takes each unbroken run of inserted rows' canonical lines as one piece of bytes
  let runFrom = -1;
  valid.forEach((t, i) => {
    const v = direct ? (direct.has(i) ? 'mine' : 'inserted') : (verdicts.get(t.recordNo) ?? 'mine');
    if (v === 'inserted') {
      loaded++;
      addToTotals(totals, t.currency, t.amount.minor);
      if (runFrom < 0) runFrom = i;
      return;
    }
    if (runFrom >= 0) digest.addBytes(canonical.span(runFrom, i));
    runFrom = -1;
    if (v === 'same') {
      filteredByReason.ALREADY_LOADED = (filteredByReason.ALREADY_LOADED ?? 0) + 1;
      notLoaded.set(t.recordNo, 'filtered');
      return;
    }
    const rejection: Rejection =
      typeof v === 'object'
        ? v
        : {
            recordNo: t.recordNo,
            raw: maskPansInText(t.raw),
            code: v === 'mine' ? 'DUPLICATE_KEY' : 'KEY_CONFLICT',
            message:
              v === 'mine'
                ? `txn_id ${t.txnId} appears more than once in this source`
                : `txn_id ${t.txnId} was loaded earlier with different content`,
            field: 'txn_id',
          };
    dead.push(rejection);
    notLoaded.set(t.recordNo, rejection);
  });
  if (runFrom >= 0) digest.addBytes(canonical.span(runFrom, valid.length));
  return { loaded, filteredByReason, totals, digest: digest.hex(), dead, notLoaded, idFloor };
}

/**
 * The fast path: one COPY of the batch straight into the sink, in a savepoint. A key repeated within the
 * batch sends only its first row; if the COPY succeeds, that row is this run's, so each later one is a
 * DUPLICATE_KEY — what staging says too, except for a later row that also breaks a check constraint an
 * operator added (staging would name that LOAD_REJECTED; it is dead-lettered either way). Returns the positions of those later rows (empty when
 * no key repeats) when every row sent inserted. Undefined, with nothing written, when the fast path is
 * backing off or the database refused a row (a key an earlier batch or run loaded, or a row-level error):
 * the caller then loads through staging, which classifies each row.
 */
async function copyDirect(
  client: ClientBase,
  ctx: BatchContext,
  rows: readonly CanonicalTransaction[],
  copy: LineBuffer,
  /** beginBatch set the savepoint already. */
  savepointSet: boolean,
): Promise<ReadonlySet<number> | undefined> {
  const state = (ctx.fastPath ??= { skip: 0, penalty: 1, used: 0, fellBack: 0 });
  if (!rows.length) return new Set<number>();
  if (backingOff(ctx)) {
    state.skip--;
    return undefined;
  }
  const repeats = repeatedKeys(rows);
  if (!savepointSet) await client.query('SAVEPOINT strongroom_direct');
  const payload = repeats.size ? linesExcept(copy, rows.length, repeats) : copy.bytes();
  // the savepoint is not released (one round trip less): COMMIT ends it with the transaction
  if (await copyRowsDirect(client, ctx, payload)) return repeats;
  await client.query('ROLLBACK TO SAVEPOINT strongroom_direct');
  return undefined;
}

/**
 * Rows straight into the sink by one COPY, inside the caller's transaction (a batch's fast path, or a stream's
 * group commit, whose caller has checked that no key repeats among its batches). True when every row inserted;
 * false when the database refused a row (a key loaded before, a row-level error): nothing is undone here (the
 * caller rolls back to its savepoint, or its transaction), and the direct COPY backs off (FastPathState), so the
 * next batches go through staging, which classifies each row.
 */
export async function copyRowsDirect(client: ClientBase, ctx: BatchContext, payload: Buffer): Promise<boolean> {
  const state = (ctx.fastPath ??= { skip: 0, penalty: 1, used: 0, fellBack: 0 });
  try {
    await copyBytes(client, `transactions (${SINK_COLUMNS})`, payload, SINK_COPY_FORMAT);
    ctx.crash?.('batch:mid-copy');
    state.used++;
    state.penalty = 1;
    return true;
  } catch (err) {
    if (!isRowLevel(err)) throw err;
    state.fellBack++;
    state.skip = state.penalty;
    state.penalty = Math.min(state.penalty * 2, 64);
    return false;
  }
}

/** Lines [0, n) of `lines` but those at the positions in `skip` (ascending), as one payload. */
function linesExcept(lines: LineBuffer, n: number, skip: ReadonlySet<number>): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const i of skip) {
    if (i > from) pieces.push(lines.span(from, i));
    from = i + 1;
  }
  if (from < n) pieces.push(lines.span(from, n));
  return Buffer.concat(pieces);
}

/** Loads a batch and dead-letters its validation rejections and the rows that did not load. */
export async function writeBatch(
  client: ClientBase,
  ctx: BatchContext,
  valid: readonly CanonicalTransaction[],
  rejected: readonly Rejection[],
  prepared?: SinkLines,
  opening?: BatchOpening,
): Promise<BatchResult> {
  const r = await loadRows(client, ctx, valid, prepared, opening);
  const dead = [...rejected, ...r.dead].sort((a, b) => a.recordNo - b.recordNo);
  if (dead.length) await insertDeadLetters(client, ctx, dead);
  return {
    loaded: r.loaded,
    deadLettered: dead.length,
    filteredByReason: r.filteredByReason,
    totals: r.totals,
    digest: r.digest,
    rejections: dead,
    idFloor: r.idFloor,
    notLoaded: new Set(r.notLoaded.keys()),
  };
}
