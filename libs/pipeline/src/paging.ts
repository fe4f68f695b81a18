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

/** Opaque keyset cursor: the (created_at, id) of the last row of the previous page. */
export function encodePageToken(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify({ t: createdAt.toISOString(), id })).toString('base64url');
}

export function decodePageToken(token: string | undefined): { t: string; id: string } | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { t?: unknown; id?: unknown };
    if (typeof v.t === 'string' && typeof v.id === 'string' && !Number.isNaN(Date.parse(v.t)))
      return { t: v.t, id: v.id };
  } catch {
    // fall through
  }
  throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'page_token is not a token returned by this API');
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
 * One page of a newest-first keyset listing over `(created_at, id)`: orders and limits `qb` (alias
 * `alias`), continues after `token`, and returns the page with the token of the next one ('' at the end).
 * Callers add their filters to `qb` first.
 */
export async function newestFirstPage<T extends ObjectLiteral & { createdAt: Date; id: string }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  size: number | undefined,
  token: string | undefined,
): Promise<{ page: T[]; next: string }> {
  const limit = pageSize(size);
  const after = decodePageToken(token);
  qb.orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(limit + 1);
  if (after) qb.andWhere(`(${alias}.created_at, ${alias}.id) < (:t, :id)`, { t: after.t, id: after.id });
  const rows = await qb.getMany();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, next: rows.length > limit && last ? encodePageToken(last.createdAt, last.id) : '' };
}
