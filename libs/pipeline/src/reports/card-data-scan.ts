import { findPans } from '@strongroom/logging';
import { type DataSource } from '@strongroom/db';

/** Where a clear card number was found: the table, the column (and the JSON path inside it), the row. */
export interface CardDataFinding {
  table: string;
  column: string;
  /** The row's primary key, or its physical position when it has none. */
  row: string;
  cardNumbers: number;
}

/**
 * Columns that hold digests, signatures, tokens or ciphertext by construction — hex and base64 made by the
 * product itself, never data from outside. Everything else of type text, varchar or jsonb is scanned.
 */
const DERIVED = /(^|_)(hash|sha256|digest|signature|token|bidx|key_id)$/;
/** Rows of a table whose time column is within the period are scanned; tables without one, entirely. */
const TIME_COLUMNS = ['loaded_at', 'created_at', 'occurred_at', 'placed_at', 'started_at', 'checked_at', 'updated_at'];
const PAGE = 5000;

/**
 * The PCI DSS 3.5.1 control: looks for card numbers in clear in every text column of every table of the
 * schema (jsonb values string by string, keys included), each value on its own, with the one card-data
 * detector the load path and the logs use. Columns the product derives itself (digests, tokens,
 * ciphertext) are skipped. Returns where it found them (never the numbers) and how many values it read.
 */
export async function scanStoredCardData(
  ds: DataSource,
  period: { from: Date; to: Date },
): Promise<{ findings: CardDataFinding[]; valuesScanned: number; tablesScanned: number }> {
  const columns = (await ds.query(
    `SELECT c.table_name AS t, c.column_name AS c, c.data_type AS type
       FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND c.data_type IN ('text', 'character varying', 'jsonb', 'json')
      ORDER BY c.table_name, c.ordinal_position`,
  )) as { t: string; c: string; type: string }[];
  const allColumns = (await ds.query(
    `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'`,
  )) as { t: string; c: string }[];
  const byTable = new Map<string, { c: string; type: string }[]>();
  for (const col of columns) {
    if (DERIVED.test(col.c) || col.t === 'schema_migrations') continue;
    byTable.set(col.t, [...(byTable.get(col.t) ?? []), col]);
  }
  const findings: CardDataFinding[] = [];
  let valuesScanned = 0;
  for (const [table, cols] of byTable) {
    const names = new Set(allColumns.filter((x) => x.t === table).map((x) => x.c));
    const time = TIME_COLUMNS.find((c) => names.has(c));
    const key = names.has('id') ? 'id' : names.has('seq') ? 'seq' : names.has('run_id') ? 'run_id' : undefined;
    const where = time ? `${q(time)} >= $2 AND ${q(time)} < $3` : 'true';
    // keyset over the physical position: every table has one, whatever its key
    let after = '(0,0)';
    for (;;) {
      const rows = (await ds.query(
        `SELECT ctid::text AS ctid, ${key ? `${q(key)}::text AS row_key,` : ''} ${cols.map((c) => `${q(c.c)} AS ${q(`v_${c.c}`)}`).join(', ')}
           FROM ${q(table)} WHERE ${where} AND ctid > $1::tid ORDER BY ctid LIMIT ${PAGE}`,
        time ? [after, period.from, period.to] : [after],
      )) as Record<string, unknown>[];
      for (const row of rows) {
        for (const col of cols) {
          for (const [path, text] of strings(row[`v_${col.c}`], col.c)) {
            valuesScanned++;
            const n = findPans(text).length;
            if (n) findings.push({ table, column: path, row: String(row['row_key'] ?? row['ctid']), cardNumbers: n });
          }
        }
      }
      if (rows.length < PAGE) break;
      after = String((rows[rows.length - 1] as { ctid: string }).ctid);
    }
  }
  return { findings, valuesScanned, tablesScanned: byTable.size };
}

/** Every string in a column's value with where it is: the value itself, or each key and string of a JSON document. */
function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') {
    // ciphertext is scanned too: random base64url practically never holds a Luhn-valid card number of a
    // network's range, and skipping anything that looks like ciphertext would let a made-up prefix hide one
    yield [path, value];
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      yield [`${path}{key}`, k];
      yield* strings(v, `${path}.${k}`);
    }
  }
}

function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
