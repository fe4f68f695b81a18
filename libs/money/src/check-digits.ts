/**
 * Check digits of the identifiers money moves between: the Luhn check of card numbers (ISO/IEC 7812) and
 * the mod-97 check of IBANs (ISO 13616). Pure functions over strings; no number is built from the digits.
 */

/** True when a string of ASCII digits passes the Luhn check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * True when a compact IBAN (upper-case letters and digits, no spaces) passes ISO 13616's mod-97 check:
 * (BBAN + country + check digits), letters as 10–35, mod 97 = 1 — computed without building the string.
 */
export function ibanChecksumValid(compact: string): boolean {
  let rem = 0;
  for (let k = 0; k < compact.length; k++) {
    const code = compact.charCodeAt((k + 4) % compact.length);
    rem = code >= 65 ? (rem * 100 + (code - 55)) % 97 : (rem * 10 + (code - 48)) % 97;
  }
  return rem === 1;
}

/**
 * IBAN lengths by country (SWIFT's IBAN registry, ISO 13616). A country's IBANs all have its one length, so
 * a mod-97 hit of another length is chance (one in 97), not an IBAN.
 */
// prettier-ignore
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18,
  FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24,
  ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29,
  PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23,
  ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/**
 * True when a compact IBAN is of a country in the registry, has that country's length and passes the
 * mod-97 check. Two letters of no IBAN country ("NV12…" inside "INV12 4111 …") make no IBAN: with any
 * length allowed, one cut in 97 would pass by chance and hide the digits after it.
 */
export function isIban(compact: string): boolean {
  const length = IBAN_LENGTHS[compact.slice(0, 2)];
  return length !== undefined && compact.length === length && ibanChecksumValid(compact);
}

/**
 * Whether the ASCII bytes buf[from, to) are one compact IBAN as isCompactIban takes it (two capital letters,
 * two digits, 11–30 capital letters or digits; its country's length; mod 97 = 1), decided without a string.
 */
export function isCompactIbanAt(buf: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  if (n < 15 || n > 34) return false;
  const upper = (c: number) => c >= 65 && c <= 90;
  const digit = (c: number) => c >= 48 && c <= 57;
  const c0 = buf[from] as number;
  const c1 = buf[from + 1] as number;
  if (!upper(c0) || !upper(c1) || !digit(buf[from + 2] as number) || !digit(buf[from + 3] as number)) return false;
  if (IBAN_LENGTH_BY_BYTES[(c0 - 65) * 26 + (c1 - 65)] !== n) return false;
  let rem = 0;
  for (let k = 0; k < n; k++) {
    const c = buf[from + ((k + 4) % n)] as number;
    if (upper(c)) rem = (rem * 100 + (c - 55)) % 97;
    else if (digit(c)) rem = (rem * 10 + (c - 48)) % 97;
    else return false;
  }
  return rem === 1;
}

/** IBAN_LENGTHS by the country's two capital letters ((first − 65) × 26 + second − 65; 0: none). */
const IBAN_LENGTH_BY_BYTES = new Uint8Array(26 * 26);
for (const [country, length] of Object.entries(IBAN_LENGTHS))
  IBAN_LENGTH_BY_BYTES[(country.charCodeAt(0) - 65) * 26 + (country.charCodeAt(1) - 65)] = length;
