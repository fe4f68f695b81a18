/**
 * An independent card-number scanner for leak tests (deliberately not the product's detector, so a bug
 * there cannot hide itself), the way DLP scanners look for PANs: a run of 13–19 digits, allowing one
 * space or dash between digits, not part of a longer digit run (an IBAN's 20+ digits are not a PAN),
 * that passes the Luhn check. UUIDs and hex digests (ids and hashes in the audit log) are set aside
 * first: their dashes and digit runs are not card numbers; so are compact IBANs whose ISO 13616
 * mod-97 check holds (e.g. BE30001216371411: an account number, not a card number).
 */
export function findLuhnValidPans(text: string, max = 10): { pan: string; context: string }[] {
  const cleaned = text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/(?<![0-9A-Za-z])[0-9a-f]{32,}(?![0-9A-Za-z])/gi, '<hex>')
    .replace(/(?<![0-9A-Za-z])[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}(?![0-9A-Za-z])/g, (m) => (mod97(m) ? '<iban>' : m));
  const out: { pan: string; context: string }[] = [];
  const re = /\d(?:[ -]?\d)*/g;
  for (let m = re.exec(cleaned); m && out.length < max; m = re.exec(cleaned)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19 || !luhn(digits)) continue;
    out.push({ pan: digits, context: cleaned.slice(Math.max(0, m.index - 40), m.index + m[0].length + 40) });
  }
  return out;
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
