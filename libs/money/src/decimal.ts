/**
 * Exact decimal arithmetic on strings for control totals (money is never a JS number): a value is a
 * BigInt of units at a scale (number of fraction digits).
 */

export interface Dec {
  units: bigint;
  scale: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:[.,](\d*))?$/;

/** Parses "12.34", "-0,5", "+7", "12." (dot or comma); null when it is not a plain decimal. */
export function parseDec(text: string): Dec | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int === '' && frac === '') return null;
  const units = BigInt((int || '0') + frac);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

function rescale(a: Dec, scale: number): bigint {
  return a.units * 10n ** BigInt(scale - a.scale);
}

export function addDec(a: Dec, b: Dec): Dec {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function negDec(a: Dec): Dec {
  return { units: -a.units, scale: a.scale };
}

export function decEquals(a: Dec, b: Dec): boolean {
  const scale = Math.max(a.scale, b.scale);
  return rescale(a, scale) === rescale(b, scale);
}

/** Minor units (e.g. cents) as a Dec: 12345n at scale 2 → 123.45. */
export function fromMinor(units: bigint, scale: number): Dec {
  return { units, scale };
}

/** "123.45", "-0.50", "7" — at the value's own scale. */
export function formatDec(a: Dec): string {
  const neg = a.units < 0n;
  const digits = (neg ? -a.units : a.units).toString().padStart(a.scale + 1, '0');
  const text =
    a.scale === 0 ? digits : `${digits.slice(0, digits.length - a.scale)}.${digits.slice(digits.length - a.scale)}`;
  return neg ? `-${text}` : text;
}

export const ZERO: Dec = { units: 0n, scale: 0 };

/** A running sum of decimal strings. */
export class DecimalSum {
  private value: Dec = ZERO;
  add(x: Dec | string): this {
    const d = typeof x === 'string' ? parseDec(x) : x;
    if (!d) throw new Error(`not a decimal: ${String(x)}`);
    this.value = addDec(this.value, d);
    return this;
  }
  get(): Dec {
    return this.value;
  }
  toString(): string {
    return formatDec(this.value);
  }
}
