import { GatewayError } from '../errors/gateway-error';
import { decodeCursor, encodeCursor, pageRequest, toConnection } from './connection';

const items = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `item-${from + i}`);

describe('encodeCursor / decodeCursor', () => {
  it('round-trips a position into an opaque URL-safe string', () => {
    const cursor = encodeCursor({ kind: 'runs', token: 'eyJpZCI6IjEyMyJ9', index: 7 });
    expect(cursor).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(decodeCursor(cursor, 'runs')).toEqual({ kind: 'runs', token: 'eyJpZCI6IjEyMyJ9', index: 7 });
  });

  it('refuses garbage, tampered cursors and cursors of another connection with BAD_USER_INPUT', () => {
    const jobsCursor = encodeCursor({ kind: 'jobs', token: '', index: 0 });
    for (const bad of ['', 'abc', 'c1.!!!', 'c1.' + Buffer.from('{"a":1}').toString('base64url'), jobsCursor]) {
      let caught: unknown;
      try {
        decodeCursor(bad, 'runs');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(GatewayError);
      expect((caught as GatewayError).code).toBe('BAD_USER_INPUT');
    }
    const outOfRange = 'c1.' + Buffer.from(JSON.stringify(['runs', '', 10_000])).toString('base64url');
    expect(() => decodeCursor(outOfRange, 'runs')).toThrow(GatewayError);
  });
});

describe('pageRequest', () => {
  it('asks for the first page with the requested size, 20 by default', () => {
    expect(pageRequest('jobs', undefined, undefined)).toMatchObject({ pageToken: '', pageSize: 20, skip: 0 });
    expect(pageRequest('jobs', 5, null)).toMatchObject({ pageToken: '', pageSize: 5, skip: 0 });
  });

  it('refuses first outside 1..100', () => {
    for (const first of [0, -1, 101])
      expect(() => pageRequest('jobs', first, null)).toThrow(/"first" must be between 1 and 100/);
  });

  it('resumes inside a page by re-reading it up to the cursor, within the engine maximum', () => {
    const after = encodeCursor({ kind: 'runs', token: 'T1', index: 2 });
    expect(pageRequest('runs', 10, after)).toMatchObject({ pageToken: 'T1', pageSize: 13, skip: 3 });
    const deep = encodeCursor({ kind: 'runs', token: 'T1', index: 449 });
    expect(pageRequest('runs', 100, deep)).toMatchObject({ pageSize: 500, skip: 450 });
  });
});

describe('toConnection', () => {
  it('gives the last edge of a page with a successor a cursor that starts the next engine page', () => {
    const first = pageRequest('jobs', 3, null);
    const page1 = toConnection(first, items(0, 3), 'NEXT');
    expect(page1.edges.map((e) => e.node)).toEqual(['item-0', 'item-1', 'item-2']);
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(page1.pageInfo.startCursor).toBe(page1.edges[0]?.cursor);
    expect(decodeCursor(page1.pageInfo.endCursor as string, 'jobs')).toEqual({
      kind: 'jobs',
      token: 'NEXT',
      index: -1,
    });

    const second = pageRequest('jobs', 3, page1.pageInfo.endCursor);
    expect(second).toMatchObject({ pageToken: 'NEXT', pageSize: 3, skip: 0 });
  });

  it('continues exactly after a cursor taken from the middle of a page', () => {
    const page1 = toConnection(pageRequest('jobs', 3, null), items(0, 3), 'NEXT');
    const middle = page1.edges[1]?.cursor as string;
    const request = pageRequest('jobs', 3, middle);
    expect(request).toMatchObject({ pageToken: '', pageSize: 5, skip: 2 });
    // The engine answers the re-read page (items 0..4) and says more follows.
    const page = toConnection(request, items(0, 5), 'AFTER-4');
    expect(page.edges.map((e) => e.node)).toEqual(['item-2', 'item-3', 'item-4']);
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it('reports no next page and a resumable end cursor on the last page', () => {
    const page = toConnection(pageRequest('runs', 10, null), items(0, 4), '');
    expect(page.edges).toHaveLength(4);
    expect(page.pageInfo.hasNextPage).toBe(false);
    expect(decodeCursor(page.pageInfo.endCursor as string, 'runs')).toEqual({ kind: 'runs', token: '', index: 3 });
  });

  it('returns an empty connection with null cursors when there is nothing', () => {
    const page = toConnection(pageRequest('runs', 10, null), [], '');
    expect(page).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });
});
