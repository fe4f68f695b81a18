import { decodePageToken, encodePageToken } from './paging';

const token = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const ID = '01a250ff-0353-7136-87ba-002020fdd838';

/**
 * Page tokens come back from clients: a token this API did not write is INVALID_ARGUMENT here, never a value the
 * database refuses later (which would surface as an internal error).
 */
describe('decodePageToken', () => {
  it('reads back what encodePageToken writes, to the microsecond, for either order', () => {
    const t = '2026-12-07T14:53:39.537123Z';
    expect(decodePageToken(encodePageToken(t, ID))).toEqual({ t, id: ID });
    expect(decodePageToken(encodePageToken(t, ID, 60), true)).toEqual({ s: 60, t, id: ID });
    // a token written before microseconds (milliseconds, from a JS Date) still reads
    expect(decodePageToken(token({ t: '2026-12-07T14:53:39.537Z', id: ID }))).toEqual({
      t: '2026-12-07T14:53:39.537Z',
      id: ID,
    });
    expect(decodePageToken(undefined)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['an id that is not a uuid', token({ t: '2026-12-07T14:53:39.537Z', id: '1' })],
    ['a time PostgreSQL reads differently', token({ t: '1', id: ID })],
    ['a time with words in it', token({ t: 'x 2026-12-07T14:53:39Z', id: ID })],
    ['a day that does not exist', token({ t: '2024-02-30T00:00:00Z', id: ID })],
    ['a time that is not UTC', token({ t: '2026-12-07T14:53:39+01:00', id: ID })],
  ])('refuses %s', (_, forged) => {
    expect(() => decodePageToken(forged)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses a score out of range, a fraction, or a token of the other order', () => {
    const t = '2026-12-07T14:53:39.537123Z';
    for (const s of [2 ** 31, -1, 101, 50.5, '60'])
      expect(() => decodePageToken(token({ s, t, id: ID }), true)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    expect(() => decodePageToken(encodePageToken(t, ID), true)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => decodePageToken(encodePageToken(t, ID, 60))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
