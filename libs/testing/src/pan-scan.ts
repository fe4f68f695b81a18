/**
 * An independent card-number scanner for leak tests (deliberately not the product's detector, so a bug
 * there cannot hide itself), the way DLP scanners look for PANs. Text is normalised first: full-width
 * digits read as digits, invisible characters (zero-width space and joiners, soft hyphen) dropped. A
 * number is a run of digit groups separated by up to three spaces (of any width), tabs, line breaks,
 * dashes, dots, slashes or underscores; any stretch of whole groups in it holding 13–19 digits that
 * passes Luhn and has a card network's prefix and length (the table below, written apart from the
 * product's) is a card number. UUIDs, hex digests (ids and hashes in the audit log) and masked card numbers
 * (first 6 and last 4 digits around asterisks) are set aside first, and so are IBANs whose ISO 13616 mod-97
 * check holds (an account number, not a card number).
 */
export function findLuhnValidPans(text: string, max = 10): { pan: string; context: string }[] {
  const cleaned = text
    .replace(/[\uff10-\uff19]/g, (c) => String(c.charCodeAt(0) - 0xff10))
    .replace(/[\u00ad\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/[0-9]{6}\*{3,9}[0-9]{4}/g, '<masked>')
    .replace(/(?<![0-9A-Za-z])[0-9a-f]{32,}(?![0-9A-Za-z])/gi, '<hex>')
    .replace(/(?<![0-9A-Za-z])[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}(?![0-9A-Za-z])/g, (m) => (mod97(m) ? '<iban>' : m))
    .replace(/[A-Z]{2}[0-9]{2}(?: [0-9A-Z]{1,4}){3,8}/g, (m) => (mod97(m.replace(/ /g, '')) ? '<iban>' : m));
  const out: { pan: string; context: string }[] = [];
  const re = /\d+(?:[ \t\r\n.\-/_\u00a0\u2000-\u200a\u2010-\u2015\u202f\u3000]{1,3}\d+)*/g;
  for (let m = re.exec(cleaned); m && out.length < max; m = re.exec(cleaned)) {
    const groups = m[0].match(/\d+/g) as string[];
    for (let a = 0; a < groups.length && out.length < max; a++) {
      let digits = '';
      for (let b = a; b < groups.length; b++) {
        digits += groups[b];
        if (digits.length > 19) break;
        if (digits.length >= 13 && luhn(digits) && issued(digits)) {
          out.push({ pan: digits, context: cleaned.slice(Math.max(0, m.index - 40), m.index + m[0].length + 40) });
          break;
        }
      }
    }
  }
  return out;
}

/** Card networks by prefix and length (Visa, Mastercard, Amex, Discover/UnionPay/Maestro/RuPay, JCB, Diners, Mir, Troy). */
const ISSUED: [RegExp, number, number][] = [
  [/^4/, 13, 19],
  [/^(5[1-5]|22[2-9][1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, 16, 16],
  [/^3[47]/, 15, 15],
  [/^(6|50|5[6-8])/, 13, 19],
  [/^8[12]/, 16, 19],
  [/^35(2[89]|[3-8]\d)/, 16, 19],
  [/^(30[0-5]|3095|36|3[89])/, 14, 19],
  [/^220[0-4]/, 16, 19],
  [/^9792/, 16, 16],
];

function issued(digits: string): boolean {
  return ISSUED.some(([prefix, min, max]) => prefix.test(digits) && digits.length >= min && digits.length <= max);
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616 IBAN check: country and check digits moved to the end, letters as 10–35, the number mod 97 is 1. */
function mod97(iban: string): boolean {
  let rem = 0;
  for (const ch of iban.slice(4) + iban.slice(0, 4)) {
    const v = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}
