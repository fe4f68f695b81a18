/**
 * MT940/MT942 field values: the :61: statement line, the :60:/:62:/:64:/:65: balances, the :34F:
 * floor limit, the :13D: date/time, the :90D:/:90C: totals and the :86: information text, each parsed
 * from one field with a message naming the part that does not parse.
 */

import { negDec, parseDec, type Dec } from '@strongroom/money';
import { clip, contentLines, singleLine, type Field } from './mt940-lines';
import { FormatError } from './types';

type Mark = 'C' | 'D' | 'RC' | 'RD';

export interface Balance {
  tag: string;
  date: string;
  currency: string;
  /** Signed: D negative. */
  amount: Dec;
  line: number;
}

export interface Declared90 {
  tag: '90D' | '90C';
  count: number;
  currency: string;
  amount: Dec;
  line: number;
}

const BALANCE = /^([CD])(\d{6})([A-Z]{3})(\d+,\d*)$/;

export function parseBalance(f: Field): Balance {
  const v = singleLine(f, 'balance');
  const m = BALANCE.exec(v);
  if (!m)
    throw new FormatError(`balance :${f.tag}: "${clip(v)}" does not parse: ${balanceProblem(v)}`, `line ${f.line}`);
  const amount = amountDec(m[4] as string, f);
  return {
    tag: f.tag,
    date: m[2] as string,
    currency: m[3] as string,
    amount: m[1] === 'D' ? negDec(amount) : amount,
    line: f.line,
  };
}

function balanceProblem(v: string): string {
  if (!/^[CD]/.test(v)) return `expected the mark C or D first, found "${v.slice(0, 1)}"`;
  if (!/^[CD]\d{6}/.test(v)) return `expected a date YYMMDD after the mark, found "${v.slice(1, 7)}"`;
  if (!/^[CD]\d{6}[A-Z]{3}/.test(v))
    return `expected a 3-letter currency code after the date ${v.slice(1, 7)}, found "${v.slice(7, 10)}"`;
  return amountProblem(v.slice(10));
}

function amountProblem(a: string): string {
  if (/^\d+$/.test(a)) return `amount "${a}" has no decimal comma (SWIFT amounts always have one, e.g. "${a},")`;
  return `expected an amount with a decimal comma (e.g. "12,50"), found "${clip(a)}"`;
}

/**
 * "1234,5" (digits and a comma) → 1234.5. SWIFT's 15d allows 15 characters with the comma; banks
 * that zero-pad sometimes write more, so the limit applies without the leading zeros.
 */
function amountDec(a: string, field: Field): Dec {
  const d = a.replace(/^0+(?=\d)/, '').length <= 15 ? parseDec(a) : null;
  if (!d)
    throw new FormatError(
      `:${field.tag}: amount "${clip(a)}" has more than 15 characters (SWIFT allows 15 with the comma)`,
      `line ${field.line}`,
    );
  return d;
}

/** The :34F: floor limit: its currency, and the value as written. */
export function parseFloorLimit(f: Field): { currency: string; value: string; decimalComma: boolean } {
  const v = singleLine(f, 'floor limit');
  const m = /^([A-Z]{3})([DC])?(\d+)(,\d*)?$/.exec(v);
  if (!m)
    throw new FormatError(
      `floor limit :34F: "${clip(v)}" does not parse: expected a 3-letter currency code, an optional D/C mark and an amount`,
      `line ${f.line}`,
    );
  return { currency: m[1] as string, value: v, decimalComma: !!m[4] };
}

/** The :13:/:13D: date/time indication, YYMMDDhhmm with an optional UTC offset. */
export function parseDateTime(f: Field): string {
  const v = singleLine(f, 'date/time indication');
  if (!/^\d{10}([+-]\d{4})?$/.test(v))
    throw new FormatError(
      `date/time indication :${f.tag}: "${clip(v)}" does not parse: expected YYMMDDhhmm and a UTC offset ±hhmm`,
      `line ${f.line}`,
    );
  return v;
}

/** The :90D:/:90C: number and sum of debit or credit entries. */
export function parseDeclared90(tag: '90D' | '90C', f: Field): Declared90 {
  const v = singleLine(f, 'number and sum of entries');
  const m = /^(\d{1,5})([A-Z]{3})(\d+,\d*)$/.exec(v);
  if (!m)
    throw new FormatError(
      `:${tag}: "${clip(v)}" does not parse: expected the number of entries, a 3-letter currency code and an amount with a decimal comma`,
      `line ${f.line}`,
    );
  return { tag, count: Number(m[1]), currency: m[2] as string, amount: amountDec(m[3] as string, f), line: f.line };
}

export interface StatementLine {
  /** C or RD: the entry adds to the balance. */
  positive: boolean;
  /** The amount without its sign. */
  magnitude: Dec;
  /** Signed decimal text as written, with a point: "-1234.5". */
  amount: string;
  /** YYYY-MM-DD. */
  bookedAt: string;
  /** YYYY-MM-DD. */
  valueDate: string;
  /** The reference for the account owner, null when absent or NONREF. */
  customerRef: string | null;
}

const STATEMENT_LINE = /^(\d{6})(\d{4}| {4})?(RC|RD|C|D)([A-Z])?(\d+,\d*)([NFS][A-Za-z0-9 ]{3})(.*)$/;
/** Lenient: the same line without its transaction type (the amount, the one thing that counts, is intact). */
// (at most 3 decimals, then no digit: a reference that begins with digits would run into the amount — such a
// line is refused even leniently, as its amount cannot be told)
const UNTYPED_STATEMENT_LINE = /^(\d{6})(\d{4}| {4})?(RC|RD|C|D)([A-Z])?(\d+,\d{0,3})()(?!\d)(.*)$/;

/**
 * The :61: statement line (its first line; the supplementary details on the next are not used). With
 * `onUntyped` (lenient), a line without its transaction type is read, and reported to it.
 */
export function parseStatementLine(f: Field, onUntyped?: () => void): StatementLine {
  const text = (contentLines(f)[0] as string).trimEnd();
  let m = STATEMENT_LINE.exec(text);
  if (!m && onUntyped) {
    m = UNTYPED_STATEMENT_LINE.exec(text);
    if (m) onUntyped();
  }
  if (!m)
    throw new FormatError(
      `statement line :61: "${clip(text)}" does not parse: ${statementLineProblem(text)}`,
      `line ${f.line}`,
    );
  const mark = m[3] as Mark;
  const [int, frac] = (m[5] as string).split(',') as [string, string];
  const positive = mark === 'C' || mark === 'RD';
  const magnitude = amountDec(m[5] as string, f);
  const valueDate = m[1] as string;
  const entryDate = m[2]?.trim() ? m[2] : undefined;
  const [customerRef] = (m[7] as string).split('//');
  const ref = (customerRef as string).trim();
  return {
    positive,
    magnitude,
    amount: `${positive ? '' : '-'}${int}${frac ? `.${frac}` : ''}`,
    bookedAt: bookingDate(valueDate, entryDate),
    valueDate: isoDate(valueDate),
    customerRef: ref === '' || ref.toUpperCase() === 'NONREF' ? null : ref,
  };
}

function statementLineProblem(t: string): string {
  const date = /^(\d{6})(\d{4}| {4})?/.exec(t);
  if (!date) return `expected a value date YYMMDD first, found "${t.slice(0, 6)}"`;
  let rest = t.slice(date[0].length);
  const mark = /^(RC|RD|C|D)/.exec(rest);
  if (!mark) return `expected the mark C, D, RC or RD after the date, found "${rest.slice(0, 2)}"`;
  rest = rest.slice(mark[0].length).replace(/^[A-Z]/, '');
  const amount = /^[\d,]*/.exec(rest)?.[0] ?? '';
  if (!/^\d+,\d*$/.test(amount)) return amountProblem(amount || rest.slice(0, 15));
  return `expected the transaction type (N, F or S and 3 characters) after the amount ${amount}, found "${rest.slice(amount.length, amount.length + 4)}" (a line without one is read with source.strictness: lenient)`;
}

function fullYear(yy: string): number {
  const n = Number(yy);
  return n >= 80 ? 1900 + n : 2000 + n;
}

/** YYMMDD → YYYY-MM-DD, not checked against the calendar (the mapper does that). */
function isoDate(d: string): string {
  return `${fullYear(d.slice(0, 2))}-${d.slice(2, 4)}-${d.slice(4, 6)}`;
}

/** The entry date MMDD takes the value date's year, moved across a year boundary when needed. */
function bookingDate(valueDate: string, entryDate: string | undefined): string {
  if (!entryDate) return isoDate(valueDate);
  let year = fullYear(valueDate.slice(0, 2));
  const shift = Number(entryDate.slice(0, 2)) - Number(valueDate.slice(2, 4));
  if (shift > 6) year--;
  else if (shift < -6) year++;
  return `${year}-${entryDate.slice(0, 2)}-${entryDate.slice(2, 4)}`;
}

export interface Info {
  structured: boolean;
  text: string;
  name: string | null;
  account: string | null;
}

const squash = (t: string): string => t.replace(/\s+/g, ' ').trim();

/**
 * `:86:` text. Structured (German DFÜ layout "NNN?00…?20…", also with ">" as the separator): the
 * remittance subfields ?20–?29 and ?60–?63 joined as written (lines and subfields cut words anywhere),
 * the counterparty name ?32+?33 and account ?31. Otherwise the lines joined with spaces.
 */
export function parseInfo(lines: string[]): Info {
  const whole = lines.join('').trimStart();
  const head = /^\d{3}([?>])\d{2}/.exec(whole);
  if (!head) return { structured: false, text: squash(lines.join(' ')), name: null, account: null };
  const sep = head[1] as string;
  const sub = new Map<number, string>();
  const order: number[] = [];
  for (const part of whole.slice(3).split(sep).slice(1)) {
    const code = /^\d{2}/.test(part) ? Number(part.slice(0, 2)) : -1;
    if (code < 0) {
      const last = order[order.length - 1];
      if (last !== undefined) sub.set(last, `${sub.get(last)}${sep}${part}`); // a separator inside text
      continue;
    }
    if (!sub.has(code)) order.push(code);
    sub.set(code, (sub.get(code) ?? '') + part.slice(2));
  }
  const remittance = order
    .filter((c) => (c >= 20 && c <= 29) || (c >= 60 && c <= 63))
    .map((c) => sub.get(c))
    .join('');
  const name = squash(`${sub.get(32) ?? ''}${sub.get(33) ?? ''}`);
  const account = squash(sub.get(31) ?? '');
  return {
    structured: true,
    text: squash(remittance || (sub.get(0) ?? '')),
    name: name || null,
    account: account || null,
  };
}
