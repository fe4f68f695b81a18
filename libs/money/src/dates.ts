/**
 * Strict ISO 8601 dates and timestamps with real calendar checks (no 2026-02-30, no 24:00, no leap
 * seconds). Timestamps without an offset are taken as UTC. Output keeps the source precision up to
 * microseconds (PostgreSQL's), normalized to UTC: "2026-01-15T09:30:00.123456Z".
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const CANONICAL_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export type TemporalResult = { ok: true; value: string } | { ok: false; message: string };

/** The number written by the two ASCII digits at text[i] (the caller's pattern has checked they are digits). */
function twoDigits(text: string, i: number): number {
  return (text.charCodeAt(i) - 48) * 10 + (text.charCodeAt(i + 1) - 48);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function validDate(y: number, m: number, d: number): boolean {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** "YYYY-MM-DD" → same string when it is a real calendar date (year 0001 or later). */
export function parseDate(text: string): TemporalResult {
  // tested, then its digits read in place: no match array per call (this runs for every row)
  if (!DATE.test(text)) return { ok: false, message: `"${text.slice(0, 40)}" is not a date (YYYY-MM-DD)` };
  if (!validDate(twoDigits(text, 0) * 100 + twoDigits(text, 2), twoDigits(text, 5), twoDigits(text, 8)))
    return { ok: false, message: `${text} is not a calendar date` };
  return { ok: true, value: text };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO 8601 timestamp (date-only allowed = midnight UTC) → UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]Z". */
export function parseTimestamp(text: string): TemporalResult {
  // the common form "YYYY-MM-DDTHH:MM:SSZ" is already canonical when it is a valid date and time
  if (text.length === 20 && CANONICAL_SECONDS.test(text)) {
    // its digits read in place (no substring per part: this runs for every row)
    const y = twoDigits(text, 0) * 100 + twoDigits(text, 2);
    if (
      y >= 1 &&
      validDate(y, twoDigits(text, 5), twoDigits(text, 8)) &&
      twoDigits(text, 11) <= 23 &&
      twoDigits(text, 14) <= 59 &&
      twoDigits(text, 17) <= 59
    ) {
      return { ok: true, value: text };
    }
  }
  const m = TIMESTAMP.exec(text);
  if (!m) return { ok: false, message: `"${text.slice(0, 40)}" is not an ISO 8601 timestamp` };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validDate(y, mo, d)) return { ok: false, message: `${text} is not a calendar date` };
  const hh = Number(m[4] ?? 0);
  const mi = Number(m[5] ?? 0);
  const ss = Number(m[6] ?? 0);
  if (hh > 23 || mi > 59 || ss > 59) return { ok: false, message: `${text} has an invalid time of day` };
  let offsetMin = 0;
  const off = m[8];
  if (off && off !== 'Z') {
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || 0);
    if (oh > 18 || om > 59) return { ok: false, message: `${text} has an invalid UTC offset` };
    offsetMin = (off[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d); // unlike Date.UTC, does not map years 0–99 to 1900–1999
  utc.setUTCHours(hh, mi - offsetMin, ss, 0);
  if (utc.getUTCFullYear() < 1 || utc.getUTCFullYear() > 9999)
    return { ok: false, message: `${text} is outside years 0001–9999 in UTC` };
  // canonical: microseconds only when not zero, so the text can be rebuilt from the stored timestamptz
  const frac = m[7] && /[1-9]/.test(m[7]) ? `.${m[7].padEnd(6, '0')}` : '';
  const value =
    `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())}` +
    `T${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}${frac}Z`;
  return { ok: true, value };
}

/** The number written by the ASCII digits buf[from, to), or -1 when one is not a digit. */
function digitsAt(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Whether buf[at, at + 10) is a calendar date "YYYY-MM-DD" (year 0001 or later). */
function dateAt(buf: Uint8Array, at: number): boolean {
  if (buf[at + 4] !== 45 || buf[at + 7] !== 45) return false;
  const y = digitsAt(buf, at, at + 4);
  const m = digitsAt(buf, at + 5, at + 7);
  const d = digitsAt(buf, at + 8, at + 10);
  return y >= 0 && m >= 0 && d >= 0 && validDate(y, m, d);
}

/**
 * Whether the ASCII bytes buf[from, to) are a date parseDate accepts (and so gives back as they are), decided
 * without a string.
 */
export function isDateAt(buf: Uint8Array, from: number, to: number): boolean {
  return to - from === 10 && dateAt(buf, from);
}

/**
 * Whether the ASCII bytes buf[from, to) are a timestamp in the canonical form parseTimestamp gives back as it
 * is ("YYYY-MM-DDTHH:MM:SSZ", a real date and time of day), decided without a string. Other forms parseTimestamp
 * may still accept (and normalize): false here.
 */
export function isCanonicalTimestampAt(buf: Uint8Array, from: number, to: number): boolean {
  if (to - from !== 20 || buf[from + 10] !== 84 || buf[from + 13] !== 58 || buf[from + 16] !== 58) return false;
  if (buf[from + 19] !== 90 || !dateAt(buf, from)) return false;
  const hh = digitsAt(buf, from + 11, from + 13);
  const mi = digitsAt(buf, from + 14, from + 16);
  const ss = digitsAt(buf, from + 17, from + 19);
  return hh >= 0 && hh <= 23 && mi >= 0 && mi <= 59 && ss >= 0 && ss <= 59;
}
