import { parseDate, parseTimestamp } from './dates';

describe('parseTimestamp', () => {
  it('normalizes offsets to UTC and keeps sub-second precision', () => {
    expect(parseTimestamp('2026-03-01T00:30:00+01:00')).toEqual({ ok: true, value: '2026-02-28T23:30:00Z' });
    expect(parseTimestamp('2026-01-15T10:00:00.5Z')).toEqual({ ok: true, value: '2026-01-15T10:00:00.500000Z' });
    expect(parseTimestamp('2026-01-15 10:00')).toEqual({ ok: true, value: '2026-01-15T10:00:00Z' });
    expect(parseTimestamp('2026-01-15')).toEqual({ ok: true, value: '2026-01-15T00:00:00Z' });
    expect(parseTimestamp('0099-01-15T00:00:00-0230')).toEqual({ ok: true, value: '0099-01-15T02:30:00Z' });
  });

  it('rejects impossible calendar dates and times', () => {
    for (const bad of [
      '2026-02-29T10:00:00Z',
      '2026-04-31',
      '2026-01-15T24:00:00Z',
      '2026-01-15T10:00:60Z',
      '15/01/2026',
      '2026-1-5',
    ]) {
      expect(parseTimestamp(bad).ok).toBe(false);
    }
    expect(parseTimestamp('2024-02-29T10:00:00Z').ok).toBe(true);
    expect(parseTimestamp('0001-01-01T00:00:00+01:00').ok).toBe(false); // year 0 in UTC: PostgreSQL would refuse it
    expect(parseTimestamp('9999-12-31T23:30:00-01:00').ok).toBe(false);
  });

  it('gives the same answer on the fast path for "YYYY-MM-DDTHH:MM:SSZ" as through the full parse', () => {
    // the same instant written with an explicit +00:00 offset always takes the full parse
    for (const t of [
      '2026-01-15T10:00:00Z',
      '2024-02-29T23:59:59Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '2026-02-29T10:00:00Z',
      '0000-06-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-15T23:60:00Z',
    ]) {
      const slow = parseTimestamp(t.replace('Z', '+00:00'));
      expect(parseTimestamp(t).ok).toBe(slow.ok);
      if (slow.ok) expect(parseTimestamp(t)).toEqual(slow);
    }
  });
});

describe('parseDate', () => {
  it('accepts real calendar dates only', () => {
    expect(parseDate('2024-02-29')).toEqual({ ok: true, value: '2024-02-29' });
    expect(parseDate('2023-02-29').ok).toBe(false);
    expect(parseDate('1900-02-29').ok).toBe(false);
    expect(parseDate('2000-02-29').ok).toBe(true);
    expect(parseDate('2026-13-01').ok).toBe(false);
  });

  it('refuses year 0000, day 00 and anything but YYYY-MM-DD in ASCII digits', () => {
    expect(parseDate('0000-01-01')).toEqual({ ok: false, message: '0000-01-01 is not a calendar date' });
    expect(parseDate('0001-01-01')).toEqual({ ok: true, value: '0001-01-01' });
    expect(parseDate('9999-12-31')).toEqual({ ok: true, value: '9999-12-31' });
    for (const bad of [
      '2026-01-00',
      '2026-00-10',
      '2026-1-02',
      ' 2026-01-02',
      '2026-01-02 ',
      '２０２６-01-02',
      '2026/01/02',
    ])
      expect(parseDate(bad).ok).toBe(false);
    expect(parseDate('2026-1-02')).toEqual({ ok: false, message: '"2026-1-02" is not a date (YYYY-MM-DD)' });
  });
});
