import { type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { ErrorCode, StrongroomError } from '@strongroom/errors';

/** Page size within 1..500, default 50; out-of-range values are an error, not silently clamped. */
export function pageSize(requested: number | undefined): number {
  if (!requested) return 50;
  if (!Number.isInteger(requested) || requested < 1 || requested > 500) {
    throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `page_size must be between 1 and 500 (got ${requested})`);
  }
  return requested;
}

/**
 * Opaque keyset cursor: the (created_at, id) of the last row of the previous page — and its score, for a
 * listing by score. `t` is the database's own timestamp to the microsecond: rows written by one transaction
 * share it, and a cursor cut to a JS Date's milliseconds would skip the rest of them.
 */
export function encodePageToken(t: string, id: string, score?: number): string {
  return Buffer.from(JSON.stringify(score === undefined ? { t, id } : { s: score, t, id })).toString('base64url');
}

/** A token's time: UTC to the second, with up to six decimals (older tokens have three). */
const TOKEN_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A calendar time that exists (JS reads 30 February as 1 March; PostgreSQL refuses it). */
function realTime(t: string): boolean {
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === t.slice(0, 19);
}

export function decodePageToken(
  token: string | undefined,
  byScore = false,
): { t: string; id: string; s?: number } | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      s?: unknown;
      t?: unknown;
      id?: unknown;
    };
    // each field as this API writes it, so that nothing a client forges reaches the database as a bad value
    const s = v.s;
    const scoreOk = byScore ? typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 100 : s === undefined;
    const timeOk = typeof v.t === 'string' && TOKEN_TIME.test(v.t) && realTime(v.t);
    if (scoreOk && timeOk && typeof v.id === 'string' && UUID.test(v.id))
      return byScore ? { s: s as number, t: v.t as string, id: v.id } : { t: v.t as string, id: v.id };
  } catch {
    // fall through
  }
  throw new StrongroomError(
    ErrorCode.INVALID_ARGUMENT,
    'page_token is not a token returned by this API for this order',
  );
}

/** Opaque cursor over a numeric id (dead letters). */
export function encodeIdToken(id: string): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

export function decodeIdToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof v.id === 'string' && /^[0-9]{1,18}$/.test(v.id)) return v.id;
  } catch {
    // fall through
  }
  throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'page_token is not a token returned by this API');
}

/**
 * One page of a keyset listing, newest first over `(created_at, id)` — or, with `byScore`, highest score first
 * over `(score, created_at, id)`: orders and limits `qb` (alias `alias`), continues after `token`, and returns
 * the page with the token of the next one ('' at the end). Callers add their filters to `qb` first.
 */
export async function keysetPage<T extends ObjectLiteral & { createdAt: Date; id: string; score?: number }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  size: number | undefined,
  token: string | undefined,
  byScore = false,
): Promise<{ page: T[]; next: string }> {
  const limit = pageSize(size);
  const after = decodePageToken(token, byScore);
  if (byScore) qb.orderBy(`${alias}.score`, 'DESC').addOrderBy(`${alias}.created_at`, 'DESC');
  else qb.orderBy(`${alias}.created_at`, 'DESC');
  qb.addOrderBy(`${alias}.id`, 'DESC')
    .addSelect(`to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, 'page_t')
    .limit(limit + 1);
  if (after && byScore) qb.andWhere(`(${alias}.score, ${alias}.created_at, ${alias}.id) < (:s, :t, :id)`, after);
  else if (after) qb.andWhere(`(${alias}.created_at, ${alias}.id) < (:t, :id)`, after);
  const { entities, raw } = await qb.getRawAndEntities<Record<string, unknown>>();
  const page = entities.slice(0, limit);
  const last = page[page.length - 1];
  if (entities.length <= limit || !last) return { page, next: '' };
  const t = raw.find((r) => r[`${alias}_id`] === last.id)?.['page_t'];
  if (typeof t !== 'string') throw new Error(`the page's last row ${last.id} has no timestamp text`);
  return { page, next: encodePageToken(t, last.id, byScore ? last.score : undefined) };
}
