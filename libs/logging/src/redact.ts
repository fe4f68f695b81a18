/**
 * Card-number (PAN) detection shared by log redaction and the load path (one detector, so what the
 * loader protects and what the logs mask can never disagree).
 *
 * A candidate is a run of digit groups separated by spaces or dashes (any number of them), not glued
 * to further digits. Within a run, every sequence of consecutive whole groups holding 13–19 digits
 * that passes the Luhn check is a PAN — so `4111 1111 1111 1111`, `4111-1111-1111-1111`,
 * `4111  1111  1111  1111` and the `4111111111111111` in `refund 1 4111111111111111` are all found,
 * while a 20-digit reference is not (PANs are at most 19 digits). Digits inside a valid IBAN
 * (ISO 13616 mod-97) are not card numbers and are left alone.
 */
import { ibanChecksumValid, luhnValid } from '@strongroom/money';

const RUN = /(?<![0-9])[0-9]+(?:[ -]+[0-9]+)*(?![0-9])/g;
const IBAN = /[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}/g;
const COMPACT_IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;

export interface PanMatch {
  /** Text index of the first and one past the last character of the PAN (separators included). */
  start: number;
  end: number;
  /** The PAN's digits only. */
  digits: string;
}

/** Spans of valid IBANs (compact or grouped by single spaces). */
function ibanSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  for (const m of text.matchAll(IBAN)) {
    let s = m[0];
    // the pattern is greedy; shorten until the checksum holds (or give up)
    while (s.replace(/ /g, '').length >= 15) {
      if (ibanChecksumValid(s.replace(/ /g, ''))) {
        spans.push([m.index, m.index + s.length]);
        break;
      }
      s = s.slice(0, -1).trimEnd();
    }
  }
  return spans;
}

/** Finds card numbers in `text`, left to right, non-overlapping (longest at each start). */
export function findPans(text: string): PanMatch[] {
  // most text has no card number: fewer than 13 digits in all, or no group of 4, cannot hold one
  if (!hasDigits(text, 13) || !/[0-9]{4}/.test(text)) return [];
  // a whole value that is one valid compact IBAN (an account field): its digits are not a card number
  if (text.length <= 34 && COMPACT_IBAN.test(text) && ibanChecksumValid(text)) return [];
  const ibans = /[A-Z]{2}[0-9]{2}/.test(text) ? ibanSpans(text) : [];
  const found: PanMatch[] = [];
  for (const m of text.matchAll(RUN)) {
    const runStart = m.index;
    if (ibans.some(([a, b]) => runStart >= a && runStart < b)) continue;
    const groups: { start: number; end: number; digits: string }[] = [];
    for (const g of m[0].matchAll(/[0-9]+/g))
      groups.push({ start: runStart + g.index, end: runStart + g.index + g[0].length, digits: g[0] });
    let a = 0;
    while (a < groups.length) {
      let best: PanMatch | undefined;
      let digits = '';
      for (let b = a; b < groups.length; b++) {
        digits += (groups[b] as { digits: string }).digits;
        if (digits.length > 19) break;
        if (digits.length >= 13 && luhnValid(digits))
          best = { start: (groups[a] as { start: number }).start, end: (groups[b] as { end: number }).end, digits };
      }
      if (best) {
        found.push(best);
        while (a < groups.length && (groups[a] as { end: number }).end <= best.end) a++;
      } else {
        a++;
      }
    }
  }
  return found;
}

/** Whether `text` has at least `n` ASCII digits (a single pass, no allocation). */
function hasDigits(text: string, n: number): boolean {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++count >= n) return true;
  }
  return false;
}

/** Replaces every card number found in `text` with `replace(digits)`. */
export function replacePans(text: string, replace: (digits: string) => string): string {
  const pans = findPans(text);
  if (!pans.length) return text;
  let out = '';
  let at = 0;
  for (const p of pans) {
    out += text.slice(at, p.start) + replace(p.digits);
    at = p.end;
  }
  return out + text.slice(at);
}

// Magnetic-stripe track data (ISO 7813): never stored, not even masked (PCI DSS 3.3.1)
const TRACK1 = /%?B[0-9]{12,19}\^[^^\n]{2,26}\^(?:[0-9]{4}|\^)(?:[0-9]{3}|\^)[^?\n]*\??/g;
const TRACK2 = /;?[0-9]{12,19}=(?:[0-9]{4}|=)(?:[0-9]{3}|=)[^?\n\s]*\??/g;
// card verification codes written next to their label (CVV2, CVC2, CID, CSC): never stored (PCI DSS 3.3.2)
const CVV = /\b(cvv2?|cvc2?|cid|csc|card security code|security code)(\s*(?:no\.?|number)?\s*[:=#]?\s*)[0-9]{3,4}\b/gi;
// what each pattern cannot match without (a cheap test before the regex scans)
const CVV_LABEL = /cvv|cvc|cid|csc|security code/i;

/** Removes track data and labelled card verification codes from free text. */
export function removeSensitiveAuthData(text: string): string {
  if (!/[0-9]{3}/.test(text)) return text;
  let out = text;
  if (out.includes('^')) out = out.replace(TRACK1, '[track data removed]');
  if (out.includes('=')) out = out.replace(TRACK2, '[track data removed]');
  if (CVV_LABEL.test(out)) out = out.replace(CVV, '$1$2[removed]');
  return out;
}

/**
 * Masks every card number to its first 6 and last 4 digits, after removing track data and labelled
 * verification codes entirely (the one detector for the sink, the DLQ, errors and logs).
 */
export function redactPans(text: string): string {
  return replacePans(
    removeSensitiveAuthData(text),
    (digits) => `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`,
  );
}

/** {@link redactPans} over every string of a JSON value, object keys included. */
export function redactPansDeep(v: unknown): unknown {
  if (typeof v === 'string') return redactPans(v);
  if (Array.isArray(v)) return v.map(redactPansDeep);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactPans(k), redactPansDeep(x)]));
  return v;
}
