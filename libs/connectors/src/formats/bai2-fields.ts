/**
 * BAI2 field values: amounts and counts (integers as written), dates (YYMMDD), times (HHMM), currency
 * codes and the extra fields of a funds type. Each function fails the file with a FormatError at `loc`
 * when the text is not what the field must hold.
 */
import { FormatError } from './types';

const AMOUNT = /^[+-]?\d+$/;
const DIGITS = /^\d+$/;

/**
 * The extra fields of a funds type: S three availability amounts, V a value date and time, D a count
 * then (days, amount) pairs; 0, 1, 2, Z and blank none. Returns the V value date (ISO) or null.
 */
export function fundsType(funds: string, next: () => string | undefined, loc: string): string | null {
  switch (funds) {
    case '':
    case '0':
    case '1':
    case '2':
    case 'Z':
      return null;
    case 'S':
      for (const what of ['immediate', 'one-day', 'two-or-more-day'])
        amountOrBlank(next() ?? '', `S ${what} availability amount`, loc);
      return null;
    case 'V': {
      const date = isoDate(next() ?? '', 'V value date', loc);
      checkTime(next() ?? '', 'V value time', loc);
      return date;
    }
    case 'D': {
      const n = next() ?? '';
      if (!DIGITS.test(n)) throw new FormatError(`D distribution count "${n}" is not a number`, loc);
      for (let k = 1; k <= Number(n); k++) {
        const days = next() ?? '';
        if (!DIGITS.test(days))
          throw new FormatError(`D distribution ${k} of ${n}: days "${days}" is not a number`, loc);
        amountValue(next() ?? '', `D distribution ${k} of ${n} amount`, loc);
      }
      return null;
    }
    default:
      throw new FormatError(`funds type "${funds}" is not one of 0, 1, 2, Z, S, V or D`, loc);
  }
}

export function amountValue(text: string, what: string, loc: string): bigint {
  if (!AMOUNT.test(text))
    throw new FormatError(
      `${what} "${text}" is not an amount (expected digits with an optional sign and no decimal point)`,
      loc,
    );
  return BigInt(text);
}

function amountOrBlank(text: string, what: string, loc: string): bigint | null {
  return text === '' ? null : amountValue(text, what, loc);
}

export function totalField(text: string, what: string, loc: string): bigint | null {
  return amountOrBlank(text, what, loc);
}

export function countField(text: string, what: string, loc: string): bigint | null {
  if (text === '') return null;
  if (!DIGITS.test(text)) throw new FormatError(`${what} "${text}" is not a number`, loc);
  return BigInt(text);
}

/** YYMMDD to YYYY-MM-DD (years 69–99 are 19xx, as POSIX reads two-digit years). */
export function isoDate(text: string, what: string, loc: string): string {
  const m = /^(\d\d)(\d\d)(\d\d)$/.exec(text);
  const yy = Number(m?.[1]);
  const year = yy >= 69 ? 1900 + yy : 2000 + yy;
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (!m || month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
    throw new FormatError(`${what} "${text}" is not a date (expected YYMMDD)`, loc);
  }
  return `${year}-${m[2]}-${m[3]}`;
}

/** HHMM (0000–2359, 2400 end of day, 9999 end of day as some banks write it) or blank. */
export function checkTime(text: string, what: string, loc: string) {
  if (text === '' || text === '2400' || text === '9999') return;
  const m = /^(\d\d)(\d\d)$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59)
    throw new FormatError(`${what} "${text}" is not a time (expected HHMM)`, loc);
}

export function currencyCode(text: string, fallback: string, loc: string): string {
  if (text === '') return fallback;
  if (!/^[A-Z]{3}$/.test(text)) throw new FormatError(`currency "${text}" is not an ISO 4217 code`, loc);
  return text;
}
