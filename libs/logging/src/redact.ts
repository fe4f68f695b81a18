/**
 * Card-number (PAN) detection shared by log redaction, the load path and the PCI DSS report (one
 * detector, so what the loader protects, what the logs mask and what the report looks for can never
 * disagree).
 *
 * A number is a run of digit groups separated by at most three separator characters — spaces of any
 * width (tab, no-break, narrow, ideographic), a newline, `-` and other dashes, `.`, `/`, `_` — with
 * invisible characters (zero-width space and joiners, soft hyphen) ignored and full-width and other
 * script digits read as digits. So `4111 1111 1111 1111`, `41 11 11 11 …`, `4 1 1 1 …`, `4111.1111…`,
 * `4111/1111…`, `４１１１…`, a number split by a line break and one with a zero-width space inside are all
 * found. Within a run, every sequence of consecutive whole groups holding 13–19 digits is a card number
 * when it passes Luhn AND fits a card network's IIN range and length (money's `isCardNumber`): a Luhn-valid
 * ACH trace number, a 16-digit account number outside every network's range, or a UUID is not one. Valid
 * IBANs (ISO 13616), UUIDs, hex digests and card numbers masked already (`411111******1111`) are skipped — their
 * digits never join the digits around them — and a card number right after an IBAN is still found.
 */
import { isCardNumber, isCompactIbanAt, isIban } from '@strongroom/money';

const IBAN = /[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}/g;
const COMPACT_IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
/** A hex digest or key (32+ hex characters, letters among them): the product's own hashes, never card data. */
const HEX = /(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{32,}(?![0-9A-Za-z])/g;
/** A card number already masked (first 6, last 4): its digits are not joined with the digits around it. */
const MASKED = /[0-9]{6}\*{3,9}[0-9]{4}/g;
/** Separator characters allowed between two digit groups of one number. */
const MAX_GAP = 3;

export interface PanMatch {
  /** Text index of the first and one past the last character of the PAN (separators included). */
  start: number;
  end: number;
  /** The PAN's digits only (ASCII). */
  digits: string;
}

/** The value of a decimal digit character (ASCII, full-width, Arabic-Indic, Devanagari), or -1. */
export function digitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code < 0x660) return -1;
  if (code >= 0xff10 && code <= 0xff19) return code - 0xff10;
  if (code >= 0x660 && code <= 0x669) return code - 0x660;
  if (code >= 0x6f0 && code <= 0x6f9) return code - 0x6f0;
  if (code >= 0x966 && code <= 0x96f) return code - 0x966;
  return -1;
}

/** Characters that separate the digit groups of one written number. */
function isSeparator(code: number): boolean {
  return (
    code === 32 || // space
    code === 9 || // tab
    code === 10 || // line feed
    code === 13 || // carriage return
    code === 45 || // -
    code === 46 || // .
    code === 47 || // /
    code === 95 || // _
    code === 0xa0 || // no-break space
    (code >= 0x2000 && code <= 0x200a) || // en/em/thin/hair … spaces
    (code >= 0x2010 && code <= 0x2015) || // hyphens and dashes
    code === 0x202f || // narrow no-break space
    code === 0x205f || // medium mathematical space
    code === 0x2212 || // minus sign
    code === 0x3000 || // ideographic space
    code === 0xff0d || // full-width hyphen-minus
    code === 0xff0e || // full-width full stop
    code === 0xff0f // full-width solidus
  );
}

/** Characters that do not show: they neither join nor split a number. */
function isInvisible(code: number): boolean {
  return code === 0xad || code === 0x180e || (code >= 0x200b && code <= 0x200d) || code === 0x2060 || code === 0xfeff;
}

/** Spans of valid IBANs (compact or grouped by single spaces) and of UUIDs: their digits are not card numbers. */
function skippedSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  if (/[A-Z]{2}[0-9]{2}/.test(text)) {
    for (const m of text.matchAll(IBAN)) {
      let s = m[0];
      // the pattern is greedy (it may run on into a card number after the IBAN); shorten until an IBAN of
      // its country's length holds (or give up)
      while (s.replace(/ /g, '').length >= 15) {
        if (isIban(s.replace(/ /g, ''))) {
          spans.push([m.index, m.index + s.length]);
          break;
        }
        s = s.slice(0, -1).trimEnd();
      }
    }
  }
  if (text.includes('-')) for (const m of text.matchAll(UUID)) spans.push([m.index, m.index + m[0].length]);
  if (text.includes('***')) for (const m of text.matchAll(MASKED)) spans.push([m.index, m.index + m[0].length]);
  if (text.length >= 32) for (const m of text.matchAll(HEX)) spans.push([m.index, m.index + m[0].length]);
  return spans.sort((a, b) => a[0] - b[0]);
}

interface Group {
  start: number;
  end: number;
  digits: string;
}

/** Card numbers within one run of digit groups, longest at each start, non-overlapping. */
function cardsInRun(groups: Group[], found: PanMatch[]): void {
  let a = 0;
  while (a < groups.length) {
    let best: PanMatch | undefined;
    let digits = '';
    for (let b = a; b < groups.length; b++) {
      digits += (groups[b] as Group).digits;
      if (digits.length > 19) break;
      if (digits.length >= 13 && isCardNumber(digits))
        best = { start: (groups[a] as Group).start, end: (groups[b] as Group).end, digits };
    }
    if (best) {
      found.push(best);
      while (a < groups.length && (groups[a] as Group).end <= best.end) a++;
    } else {
      a++;
    }
  }
}

/**
 * Whether the whole of `text` is one valid IBAN written without spaces (an account field). Such a value
 * holds no card number, track data or labelled verification code: only letters and digits, and a
 * digit right after its two-letter country code.
 */
export function isCompactIban(text: string): boolean {
  return text.length <= 34 && COMPACT_IBAN.test(text) && isIban(text);
}

/** Finds card numbers in `text`, left to right, non-overlapping (longest at each start). */
export function findPans(text: string): PanMatch[] {
  // most text has no card number: fewer than 13 digits in all cannot hold one
  if (!hasDigits(text, 13)) return [];
  // a whole value that is one valid compact IBAN (an account field): its digits are not a card number
  if (isCompactIban(text)) return [];
  const skipped = skippedSpans(text);
  const found: PanMatch[] = [];
  let groups: Group[] = [];
  let group: Group | undefined;
  let gap = 0;
  const endRun = () => {
    if (group) groups.push(group);
    if (groups.length) cardsInRun(groups, found);
    groups = [];
    group = undefined;
    gap = 0;
  };
  let skip = 0;
  for (let i = 0; i < text.length; i++) {
    while (skip < skipped.length && (skipped[skip] as [number, number])[1] <= i) skip++; // spans behind (overlaps)
    if (skip < skipped.length && i >= (skipped[skip] as [number, number])[0]) {
      endRun();
      i = (skipped[skip] as [number, number])[1] - 1;
      skip++;
      continue;
    }
    const code = text.charCodeAt(i);
    const d = digitValue(code);
    if (d >= 0) {
      if (!group) {
        if (groups.length && gap > MAX_GAP) endRun();
        group = { start: i, end: i + 1, digits: '' };
      }
      group.digits += String(d);
      group.end = i + 1;
      gap = 0;
    } else if (isInvisible(code)) {
      continue;
    } else if (isSeparator(code)) {
      if (group) {
        groups.push(group);
        group = undefined;
      }
      if (groups.length && ++gap > MAX_GAP) endRun();
    } else {
      endRun();
    }
  }
  endRun();
  return found;
}

/**
 * The digits of a value written only with digits (of any script), separators and invisible characters —
 * a card-number field however it was typed — or undefined when anything else is in it.
 */
export function digitsOnly(value: string): string | undefined {
  // most card fields are ASCII digits already: the value itself, no string built digit by digit
  let plain = true;
  for (let i = 0; i < value.length && plain; i++) {
    const code = value.charCodeAt(i);
    plain = code >= 48 && code <= 57;
  }
  if (plain) return value;
  let digits = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const d = digitValue(code);
    if (d >= 0) digits += String(d);
    else if (!isSeparator(code) && !isInvisible(code)) return undefined;
  }
  return digits;
}

/** Whether `text` has at least `n` digits (a single pass, no allocation). */
function hasDigits(text: string, n: number): boolean {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (digitValue(text.charCodeAt(i)) >= 0 && ++count >= n) return true;
  }
  return false;
}

/** The labels CVV_LABEL looks for, lower case ("security code" as one). */
const CVV_LABELS = ['cvv', 'cvc', 'cid', 'csc', 'security code'].map((l) => Buffer.from(l, 'latin1'));

/** Whether a CVV_LABEL label starts at buf[i] (ASCII letters in either case, as the pattern's `i` flag reads them). */
function cvvLabelAt(buf: Uint8Array, i: number, to: number): boolean {
  for (const label of CVV_LABELS) {
    if (i + label.length > to) continue;
    let k = 0;
    while (k < label.length) {
      const c = buf[i + k] as number;
      const l = label[k] as number;
      // a letter matches in either case (0x20 is the case bit of ASCII letters); the space only itself
      if (c !== l && !(l >= 97 && l <= 122 && (c | 0x20) === l)) break;
      k++;
    }
    if (k === label.length) return true;
  }
  return false;
}

/**
 * Whether the UTF-8 text buf[from, to) is certainly left as it is by redactPans and by a PAN protector's
 * tokenizeInText: removeSensitiveAuthData finds nothing to remove (no three digits in a row, or neither a track
 * data mark nor a verification-code label), and findPans finds no card number (fewer than 13 characters that
 * may be digits — every non-ASCII character counted as one —, or the whole value one compact IBAN). Decided on
 * the bytes, without a string; false means "not certain", and the caller asks the functions themselves.
 */
export function clearOfCardDataAt(buf: Uint8Array, from: number, to: number): boolean {
  let digits = 0;
  let run = 0;
  let threeInARow = false;
  let marks = false; // a track data mark (^ or =) or the letter a label starts with
  let ascii = true;
  for (let i = from; i < to; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) {
      digits++;
      if (++run >= 3) threeInARow = true;
      continue;
    }
    run = 0;
    if (c >= 0x80) {
      ascii = false;
      if (c >= 0xc0) digits++; // a character's first byte: it may be a digit of another script
    } else if (c === 94 || c === 61 || (c | 0x20) === 99 || (c | 0x20) === 115) {
      marks = true; // ^ = c s
    }
  }
  if (threeInARow && marks) {
    for (let i = from; i < to; i++) {
      const c = buf[i] as number;
      if (c === 94 || c === 61 || (((c | 0x20) === 99 || (c | 0x20) === 115) && cvvLabelAt(buf, i, to))) return false;
    }
  }
  return digits < 13 || (ascii && isCompactIbanAt(buf, from, to));
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
