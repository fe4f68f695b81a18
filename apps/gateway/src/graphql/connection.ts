// Relay-style connections over the engine's page tokens. The engine pages with an opaque
// `page_token` → (items, `next_page_token`); Relay wants a cursor per edge. A cursor here names a
// position as (engine page token, index within that page): "after item `index` of the page that
// starts at `token`", with index -1 meaning "at the start of that page". The last edge of a page that
// has a successor gets the cursor (next_page_token, -1), so paging forward with `after: endCursor`
// costs one engine call of `first` items; resuming from a cursor in the middle of a page re-reads
// that page up to the cursor (bounded by the engine's maximum page size).
import { badUserInput } from '../errors/gateway-error';

export type ConnectionKind = 'jobs' | 'runs' | 'deadLetters' | 'alerts' | 'alertQueue' | 'auditEntries';

/** Default and maximum of `first`: bounds the work one field of one request can cause. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** The engine's maximum page_size (job_service.proto: 1..500). */
export const ENGINE_MAX_PAGE_SIZE = 500;

const CURSOR_PREFIX = 'c1.';
const MAX_CURSOR_LENGTH = 2048;

export interface CursorPosition {
  readonly kind: ConnectionKind;
  /** Engine page token of the page the position is in ('' = first page). */
  readonly token: string;
  /** Index of the item the position is after, within that page; -1 = before the first item. */
  readonly index: number;
}

/** Encodes a position as an opaque, URL-safe string. Clients must not parse it. */
export function encodeCursor(position: CursorPosition): string {
  const json = JSON.stringify([position.kind, position.token, position.index]);
  return CURSOR_PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor for the same kind of connection, or throws BAD_USER_INPUT. */
export function decodeCursor(cursor: string, kind: ConnectionKind): CursorPosition {
  const invalid = () => badUserInput(`"after" is not a cursor of this ${kind} connection`);
  if (cursor.length > MAX_CURSOR_LENGTH || !cursor.startsWith(CURSOR_PREFIX)) throw invalid();
  const body = cursor.slice(CURSOR_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 3) throw invalid();
  const [k, token, index] = value as unknown[];
  if (k !== kind || typeof token !== 'string' || !Number.isSafeInteger(index)) throw invalid();
  if ((index as number) < -1 || (index as number) >= ENGINE_MAX_PAGE_SIZE) throw invalid();
  return { kind, token, index: index as number };
}

/** What to ask the engine for, and how many leading items of its answer to skip. */
export interface PageRequest {
  readonly kind: ConnectionKind;
  readonly first: number;
  readonly pageToken: string;
  readonly pageSize: number;
  readonly skip: number;
}

/** Validates `first`/`after` and turns them into an engine page request. */
export function pageRequest(
  kind: ConnectionKind,
  first: number | null | undefined,
  after: string | null | undefined,
): PageRequest {
  const n = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw badUserInput(`"first" must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  if (after === null || after === undefined) return { kind, first: n, pageToken: '', pageSize: n, skip: 0 };
  const position = decodeCursor(after, kind);
  const skip = position.index + 1;
  return { kind, first: n, pageToken: position.token, pageSize: Math.min(ENGINE_MAX_PAGE_SIZE, skip + n), skip };
}

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface PageInfo {
  readonly hasNextPage: boolean;
  /** Always false: these connections page forward only (allowed by the Relay spec for first/after). */
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

export interface Connection<T> {
  readonly edges: readonly Edge<T>[];
  readonly pageInfo: PageInfo;
}

/** Builds the connection from the engine's answer to `request`. */
export function toConnection<T>(request: PageRequest, items: readonly T[], nextPageToken: string): Connection<T> {
  const selected = items.slice(request.skip, request.skip + request.first);
  const lastOfPage = items.length - 1;
  const edges = selected.map((node, i): Edge<T> => {
    const index = request.skip + i;
    const position: CursorPosition =
      index === lastOfPage && nextPageToken !== ''
        ? { kind: request.kind, token: nextPageToken, index: -1 }
        : { kind: request.kind, token: request.pageToken, index };
    return { cursor: encodeCursor(position), node };
  });
  const hasNextPage = nextPageToken !== '' || items.length > request.skip + selected.length;
  // With no edges but more to come (a resumed page that had nothing left), still hand out a cursor
  // that moves forward, so a client is never stuck.
  const endCursor =
    edges.at(-1)?.cursor ??
    (nextPageToken !== '' ? encodeCursor({ kind: request.kind, token: nextPageToken, index: -1 }) : null);
  return {
    edges,
    pageInfo: { hasNextPage, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor },
  };
}
