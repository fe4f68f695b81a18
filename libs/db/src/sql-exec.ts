import { type ClientBase } from 'pg';
import { type DataSource, type EntityManager, type QueryRunner } from 'typeorm';

/** Runs one SQL statement with bound parameters and resolves with its rows (for UPDATE/DELETE: the RETURNING rows). */
export type SqlExec = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

type Target = DataSource | EntityManager | QueryRunner | ClientBase;

/**
 * The one adapter from whatever holds the connection — a DataSource, an EntityManager inside a
 * transaction, a QueryRunner, or the raw pg client of the hot paths — to a plain SQL executor, so that
 * code taking an executor (the audit chain, run status transitions) runs inside the caller's transaction.
 */
export function sqlExec(target: Target): SqlExec {
  if (isPgClient(target))
    return async (sql, params) => (await target.query(sql, params)).rows as Record<string, unknown>[];
  return async (sql, params) => rowsOf(await (target as EntityManager).query(sql, params));
}

function isPgClient(target: Target): target is ClientBase {
  // TypeORM's DataSource and QueryRunner have a `manager`, an EntityManager its `dataSource`; a pg client neither
  return !('manager' in target) && !('dataSource' in target);
}

/** TypeORM answers UPDATE/DELETE with `[rows, affected]` and everything else with the rows. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as Record<string, unknown>[];
  return result as Record<string, unknown>[];
}

/**
 * `value` as an SQL string literal, for statements sent without parameters (several in one message, e.g. with
 * BEGIN or COMMIT): quotes doubled, and with a backslash an escape string (E'…', backslashes doubled), which
 * reads the same whatever standard_conforming_strings says.
 */
export function sqlLiteral(value: string): string {
  // a NUL cannot travel in a simple query's text: PostgreSQL would take the message for a malformed one (a
  // protocol error, which reads as an outage and is retried); no text column can hold it anyway
  if (value.includes('\0')) throw new TypeError('a text holding a NUL character cannot be written as an SQL literal');
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}
