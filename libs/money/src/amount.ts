import { currencyExponent } from './currencies';

/** An exact amount: the normalized decimal string stored in `numeric`, and minor units for totals. */
export interface Money {
  /** e.g. "-1234.50" for USD: sign, no leading zeros, exactly the currency's scale. */
  decimal: string;
  /** Amount in minor units (cents), exact. */
  minor: bigint;
}

export type MoneyResult =
  { ok: true; value: Money } | { ok: false; code: 'INVALID_AMOUNT' | 'AMOUNT_SCALE'; message: string };

const AMOUNT = /^([+-]?)([0-9]{1,22})(?:\.([0-9]+))?$/;

/**
 * Parses a decimal amount string for a currency without ever creating a JS number (I3). Scientific
 * notation, thousands separators, spaces and empty fractions are errors; more decimal places than the
 * currency allows is an error (AMOUNT_SCALE), never a rounding. Trailing zeros beyond the scale are
 * accepted when they are zeros ("1.500" USD = 1.50).
 */
export function parseAmount(text: string, currency: string): MoneyResult {
  const exp = currencyExponent(currency);
  if (exp === undefined) return { ok: false, code: 'INVALID_AMOUNT', message: `unknown currency ${currency}` };
  // most amounts are written as stored already: the text is the decimal, and its digits the minor units
  if (isCanonical(text, exp))
    return { ok: true, value: { minor: BigInt(exp ? text.replace('.', '') : text), decimal: text } };
  const m = AMOUNT.exec(text);
  if (!m) return { ok: false, code: 'INVALID_AMOUNT', message: `amount "${truncate(text)}" is not a decimal number` };
  const sign = m[1] === '-' ? -1n : 1n;
  const intPart = m[2] as string;
  let frac = m[3] ?? '';
  if (frac.length > exp) {
    const extra = frac.slice(exp);
    if (/[^0]/.test(extra)) {
      return {
        ok: false,
        code: 'AMOUNT_SCALE',
        message: `amount ${text} has ${frac.length} decimal places; ${currency} allows ${exp}`,
      };
    }
    frac = frac.slice(0, exp);
  }
  frac = frac.padEnd(exp, '0');
  const magnitude = BigInt(intPart + frac);
  const minor = magnitude === 0n ? 0n : sign * magnitude;
  return { ok: true, value: { minor, decimal: formatMinor(minor, exp) } };
}

/**
 * Whether `text` is already the normalized decimal for a currency of `exp` places: an optional minus, 1–22
 * digits without a leading zero (but a lone 0), then for `exp` > 0 a point and exactly `exp` digits; not a
 * negative zero. Exactly the texts formatMinor gives back unchanged.
 */
function isCanonical(text: string, exp: number): boolean {
  const from = text.charCodeAt(0) === 45 ? 1 : 0;
  const point = exp > 0 ? text.length - exp - 1 : text.length;
  const intDigits = point - from;
  if (intDigits < 1 || intDigits > 22) return false;
  if (exp > 0 && text.charCodeAt(point) !== 46) return false;
  if (intDigits > 1 && text.charCodeAt(from) === 48) return false;
  let nonZero = false;
  for (let i = from; i < text.length; i++) {
    if (i === point) continue;
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    if (c !== 48) nonZero = true;
  }
  return nonZero || from === 0;
}

/**
 * isCanonical over the ASCII bytes buf[from, to) (a text already in the normalized form parseAmount gives back
 * unchanged, decided without a string).
 */
export function isCanonicalAmountAt(buf: Uint8Array, from: number, to: number, exp: number): boolean {
  const start = buf[from] === 45 ? from + 1 : from;
  const point = exp > 0 ? to - exp - 1 : to;
  const intDigits = point - start;
  if (intDigits < 1 || intDigits > 22) return false;
  if (exp > 0 && buf[point] !== 46) return false;
  if (intDigits > 1 && buf[start] === 48) return false;
  let nonZero = false;
  for (let i = start; i < to; i++) {
    if (i === point) continue;
    const c = buf[i] as number;
    if (c < 48 || c > 57) return false;
    if (c !== 48) nonZero = true;
  }
  return nonZero || start === from;
}

/** Minor units → decimal string with `exp` places ("-12.05"). */
export function formatMinor(minor: bigint, exp: number): string {
  const neg = minor < 0n;
  const digits = (neg ? -minor : minor).toString().padStart(exp + 1, '0');
  const int = digits.slice(0, digits.length - exp);
  const body = exp > 0 ? `${int}.${digits.slice(digits.length - exp)}` : int;
  return neg ? `-${body}` : body;
}

/** Formats a currency's minor units with its ISO 4217 scale. */
export function formatAmount(minor: bigint, currency: string): string {
  return formatMinor(minor, currencyExponent(currency) ?? 2);
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
