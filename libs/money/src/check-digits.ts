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
