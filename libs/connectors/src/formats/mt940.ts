import { addDec, decEquals, formatDec, negDec, parseDec, ZERO, type Dec } from './decimal';
import { TextInput } from './text-input';
import { FormatError, MAX_RAW_CHARS, type BankEntry, type ControlCheck, type FormatReader, type FormatSummary } from './types';

/**
 * SWIFT MT940 (customer statement) and MT942 (interim transaction report), streaming.
 *
 * A statement opens at `:20:` and ends at a line "-" (also "-}" of a SWIFT envelope) or at the next
 * `:20:`. Each `:61:` statement line becomes one {@link BankEntry}, with the `:86:` fields after it.
 * Envelope blocks `{1:…}{2:…}{3:…}{4:` / `-}{5:…}` and the SOH/ETX bytes that frame messages in
 * DOS-PCC files are stripped. Checks: MT940 opening + Σ entries = closing; MT942 `:90D:`/`:90C:`
 * count and sum. Only the current statement and the last closing balance per account are kept.
 */

/** Longest reference kept for one entry. */
const MAX_REFERENCE_CHARS = 1024;
/** Text kept per field; the rest is dropped (`raw` and `reference` are bounded anyway). */
const MAX_FIELD_CHARS = MAX_RAW_CHARS;

type Mark = 'C' | 'D' | 'RC' | 'RD';

interface Field {
  tag: string;
  line: number;
  /** Source lines (the first with its `:TAG:`). */
  lines: string[];
  chars: number;
}

interface Balance {
  tag: string;
  date: string;
  currency: string;
  /** Signed: D negative. */
  amount: Dec;
  line: number;
}

interface Declared90 {
  tag: '90D' | '90C';
  count: number;
  currency: string;
  amount: Dec;
  line: number;
}

interface Tally {
  count: number;
  sum: Dec;
}

interface Statement {
  no: number;
  ref: string;
  /** "statement 3 (:20: REF)" */
  name: string;
  account?: string;
  seq?: string;
  opening?: Balance;
  closing?: Balance;
  floorCurrency?: string;
  dateTime?: string;
  d90?: Declared90;
  c90?: Declared90;
  /** First line of each non-repeatable field, by group. */
  seen: Map<string, number>;
  entries: number;
  net: Dec;
  debits: Tally;
  credits: Tally;
}

interface PendingEntry {
  entry: Omit<BankEntry, 'reference' | 'counterpartyName' | 'counterpartyAccount' | 'raw'>;
  customerRef: string | null;
  raw: string[];
  /** Content of each `:86:` field, its lines. */
  info: string[][];
}

interface ReadState {
  stmt?: Statement;
  field?: Field;
  pending?: PendingEntry;
  ready: BankEntry[];
  statements: number;
  mt940: number;
  mt942: number;
  entries: number;
  credits: number;
  debits: number;
  /** Closing balance of the last statement per account and currency (chained-statement warning). */
  lastClosing: Map<string, { no: number; amount: Dec }>;
  checks: ControlCheck[];
  controlTotals: Record<string, string>;
  warnings: string[];
  lines: number;
  ignored?: string;
}

export const readMt940: FormatReader = async function* (input) {
  const text = new TextInput(input);
  const st: ReadState = {
    ready: [],
    statements: 0,
    mt940: 0,
    mt942: 0,
    entries: 0,
    credits: 0,
    debits: 0,
    lastClosing: new Map(),
    checks: [],
    controlTotals: {},
    warnings: [],
    lines: 0,
  };
  for await (const { text: line, lineNo } of text.lines()) {
    st.lines = lineNo;
    onLine(st, line, lineNo);
    while (st.ready.length) yield st.ready.shift() as BankEntry;
  }
  finishField(st);
  if (st.stmt) endStatement(st, st.lines);
  while (st.ready.length) yield st.ready.shift() as BankEntry;
  if (st.statements === 0) {
    const found = st.ignored ? `found only ${st.ignored}` : 'the file is empty';
    throw new FormatError(`no MT940 statement or MT942 report: expected a :20: field (transaction reference number) opening one, ${found}`, st.lines ? `lines 1-${st.lines}` : 'file');
  }
  if (st.mt940 > 0 && st.mt942 > 0) st.warnings.push(`the file mixes ${st.mt940} MT940 statement(s) and ${st.mt942} MT942 report(s); its format is given as mt940`);
  return {
    format: st.mt942 > 0 && st.mt940 === 0 ? 'mt942' : 'mt940',
    version: null,
    encoding: text.encoding,
    counts: { statements: st.statements, entries: st.entries, credits: st.credits, debits: st.debits },
    controlTotals: st.controlTotals,
    checks: st.checks,
    warnings: st.warnings,
  } satisfies FormatSummary;
};

const TAG = /^:([0-9A-Z]{2,3}):/;
const KNOWN_TAGS = new Set(['20', '21', '25', '28', '28C', '60F', '60M', '61', '86', '62F', '62M', '64', '65', '34F', '13', '13D', '90D', '90C']);

function onLine(st: ReadState, source: string, lineNo: number): void {
  const { end, content } = unwrap(source, lineNo);
  if (end) {
    finishField(st);
    if (st.stmt) endStatement(st, lineNo);
  }
  if (content === null) return;
  const tag = TAG.exec(content);
  if (tag) {
    finishField(st);
    st.field = { tag: tag[1] as string, line: lineNo, lines: [content], chars: content.length };
  } else if (st.field) {
    if (st.field.chars + content.length <= MAX_FIELD_CHARS) st.field.lines.push(content);
    st.field.chars += content.length;
  } else if (content.trim() !== '' && !st.ignored) {
    st.ignored = `text without a field tag ("${clip(content)}" on line ${lineNo})`;
  }
}

/**
 * Strips the SWIFT envelope and DOS-PCC framing from one line: `end` when the line ends a message
 * text ("-", "-}"), `content` the MT text left on it (null when none).
 */
function unwrap(source: string, lineNo: number): { end: boolean; content: string | null } {
  let s = source.startsWith('\x01') ? source.slice(1) : source; // SOH opens a DOS-PCC message
  // eslint-disable-next-line no-control-regex
  s = s.replace(/\x03[\x03 ]*$/, ''); // ETX (and sector padding) closes it
  // eslint-disable-next-line no-control-regex
  const ctl = /[\x00-\x08\x0b\x0c\x0e-\x1f]/.exec(s);
  if (ctl) {
    const code = ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new FormatError(`control character U+${code} at column ${ctl.index + 1}: outside the SWIFT character set (only CR, LF and TAB are allowed)`, `line ${lineNo}`);
  }
  let end = false;
  let rest = s;
  if (rest.trimEnd() === '-') return { end: true, content: null };
  if (rest.startsWith('-}')) {
    end = true;
    rest = rest.slice(2);
  }
  if (!end && !/^\{[1-5]:/.test(rest)) return { end, content: rest };
  while (rest.startsWith('{')) {
    const block = /^\{([1-5]):/.exec(rest);
    if (!block) throw new FormatError(`expected a SWIFT envelope block such as "{1:" or "{5:", found "${clip(rest)}"`, `line ${lineNo}`);
    if (block[1] === '4') {
      rest = rest.slice(3);
      return { end, content: rest === '' ? null : rest };
    }
    const close = closingBrace(rest);
    if (close < 0) throw new FormatError(`envelope block {${block[1]}: is not closed on its line`, `line ${lineNo}`);
    rest = rest.slice(close + 1);
  }
  if (rest.trim() !== '') throw new FormatError(`expected nothing after the envelope blocks, found "${clip(rest)}"`, `line ${lineNo}`);
  return { end, content: null };
}

function closingBrace(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function finishField(st: ReadState): void {
  const f = st.field;
  st.field = undefined;
  if (!f) return;
  const s = st.stmt;
  if (f.tag === '20') {
    if (s) endStatement(st, f.line);
    openStatement(st, singleLine(f, 'transaction reference number'));
    return;
  }
  if (!KNOWN_TAGS.has(f.tag)) {
    if (!s && !st.ignored) st.ignored = `the field :${f.tag}: (line ${f.line}), which is not an MT940/MT942 field`;
    return; // non-SWIFT fields (":NS:", ":940:") are skipped; they do not end an entry
  }
  if (!s) throw new FormatError(`found :${f.tag}: outside a statement: expected :20: (transaction reference number) to open one first`, `line ${f.line}`);
  if (f.tag === '86') {
    if (st.pending) {
      st.pending.raw.push(...f.lines);
      st.pending.info.push(contentLines(f));
    }
    return; // else information for the whole statement: not mapped
  }
  flushEntry(st);
  const at = `line ${f.line}`;
  switch (f.tag) {
    case '25':
      once(s, '25', 'account identification', f);
      s.account = singleLine(f, 'account identification');
      return;
    case '28':
    case '28C':
      once(s, '28', 'statement number', f);
      s.seq = singleLine(f, 'statement number');
      return;
    case '60F':
    case '60M':
      once(s, '60', 'opening balance', f);
      if (s.closing || s.entries > 0) throw new FormatError(`${s.name}: opening balance :${f.tag}: after the statement lines or the closing balance`, at);
      s.opening = parseBalance(f);
      return;
    case '61':
      startEntry(st, s, f);
      return;
    case '62F':
    case '62M': {
      once(s, '62', 'closing balance', f);
      if (!s.opening) throw new FormatError(`${s.name}: closing balance :${f.tag}: without an opening balance :60F:/:60M: (a mandatory field)`, at);
      const closing = parseBalance(f);
      if (closing.currency !== s.opening.currency) {
        throw new FormatError(`${s.name}: closing balance :${f.tag}: is in ${closing.currency} but the opening balance :${s.opening.tag}: is in ${s.opening.currency}`, at);
      }
      s.closing = closing;
      return;
    }
    case '64':
    case '65':
      parseBalance(f); // informative, but must be well formed
      return;
    case '34F': {
      const v = singleLine(f, 'floor limit');
      const m = /^([A-Z]{3})([DC])?(\d+)(,\d*)?$/.exec(v);
      if (!m) throw new FormatError(`floor limit :34F: "${clip(v)}" does not parse: expected a 3-letter currency code, an optional D/C mark and an amount`, at);
      if (s.floorCurrency && s.floorCurrency !== m[1]) throw new FormatError(`${s.name}: floor limits :34F: in ${s.floorCurrency} and ${m[1]}`, at);
      s.floorCurrency = m[1];
      if (!m[4]) st.warnings.push(`${s.name}: floor limit :34F: "${v}" has no decimal comma; accepted (informative field)`);
      return;
    }
    case '13':
    case '13D': {
      once(s, '13', 'date/time indication', f);
      const v = singleLine(f, 'date/time indication');
      if (!/^\d{10}([+-]\d{4})?$/.test(v)) throw new FormatError(`date/time indication :${f.tag}: "${clip(v)}" does not parse: expected YYMMDDhhmm and a UTC offset ±hhmm`, at);
      s.dateTime = v;
      return;
    }
    case '90D':
    case '90C': {
      once(s, f.tag, f.tag === '90D' ? 'number and sum of debits' : 'number and sum of credits', f);
      const v = singleLine(f, 'number and sum of entries');
      const m = /^(\d{1,5})([A-Z]{3})(\d+,\d*)$/.exec(v);
      if (!m) throw new FormatError(`:${f.tag}: "${clip(v)}" does not parse: expected the number of entries, a 3-letter currency code and an amount with a decimal comma`, at);
      const d: Declared90 = { tag: f.tag, count: Number(m[1]), currency: m[2] as string, amount: amountDec(m[3] as string, f), line: f.line };
      if (f.tag === '90D') s.d90 = d;
      else s.c90 = d;
      return;
    }
    default:
      return; // :21: related reference: not used
  }
}

function openStatement(st: ReadState, ref: string): void {
  st.statements++;
  const no = st.statements;
  st.stmt = { no, ref, name: `statement ${no} (:20: ${ref})`, seen: new Map(), entries: 0, net: ZERO, debits: { count: 0, sum: ZERO }, credits: { count: 0, sum: ZERO } };
}

/** A field that may appear once per statement. */
function once(s: Statement, group: string, label: string, f: Field): void {
  const first = s.seen.get(group);
  if (first !== undefined) throw new FormatError(`${s.name}: a second ${label} :${f.tag}: (the first is on line ${first})`, `line ${f.line}`);
  s.seen.set(group, f.line);
}

function contentLines(f: Field): string[] {
  return [(f.lines[0] as string).slice(f.tag.length + 2), ...f.lines.slice(1)];
}

/** The value of a one-line field (blank continuation lines are allowed). */
function singleLine(f: Field, label: string): string {
  const [first, ...more] = contentLines(f);
  const extra = more.find((l) => l.trim() !== '');
  if (extra !== undefined) throw new FormatError(`${label} :${f.tag}: continues on a second line ("${clip(extra)}"); expected one line`, `line ${f.line}`);
  const v = (first as string).trim();
  if (v === '') throw new FormatError(`${label} :${f.tag}: is empty`, `line ${f.line}`);
  return v;
}

const BALANCE = /^([CD])(\d{6})([A-Z]{3})(\d+,\d*)$/;

function parseBalance(f: Field): Balance {
  const v = singleLine(f, 'balance');
  const m = BALANCE.exec(v);
  if (!m) throw new FormatError(`balance :${f.tag}: "${clip(v)}" does not parse: ${balanceProblem(v)}`, `line ${f.line}`);
  const amount = amountDec(m[4] as string, f);
  return { tag: f.tag, date: m[2] as string, currency: m[3] as string, amount: m[1] === 'D' ? negDec(amount) : amount, line: f.line };
}

function balanceProblem(v: string): string {
  if (!/^[CD]/.test(v)) return `expected the mark C or D first, found "${v.slice(0, 1)}"`;
  if (!/^[CD]\d{6}/.test(v)) return `expected a date YYMMDD after the mark, found "${v.slice(1, 7)}"`;
  if (!/^[CD]\d{6}[A-Z]{3}/.test(v)) return `expected a 3-letter currency code after the date ${v.slice(1, 7)}, found "${v.slice(7, 10)}"`;
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
  if (!d) throw new FormatError(`:${field.tag}: amount "${clip(a)}" has more than 15 characters (SWIFT allows 15 with the comma)`, `line ${field.line}`);
  return d;
}

const STATEMENT_LINE = /^(\d{6})(\d{4}| {4})?(RC|RD|C|D)([A-Z])?(\d+,\d*)([NFS][A-Za-z0-9 ]{3})(.*)$/;

function startEntry(st: ReadState, s: Statement, f: Field): void {
  const at = `line ${f.line}`;
  if (!s.account) throw new FormatError(`${s.name}: statement line :61: before the account identification :25: (a mandatory field)`, at);
  if (!s.seq) throw new FormatError(`${s.name}: statement line :61: before the statement number :28C: (a mandatory field)`, at);
  if (s.closing) throw new FormatError(`${s.name}: statement line :61: after the closing balance :${s.closing.tag}:`, at);
  const currency = s.opening?.currency ?? s.floorCurrency;
  if (!currency) throw new FormatError(`${s.name}: statement line :61: before the opening balance :60F:/:60M: (MT940) or the floor limit :34F: (MT942)`, at);
  const period = s.opening?.date ?? s.dateTime;
  if (!period) throw new FormatError(`${s.name}: statement line :61: before the date/time indication :13D: (mandatory in MT942)`, at);
  const text = (contentLines(f)[0] as string).trimEnd();
  const m = STATEMENT_LINE.exec(text);
  if (!m) throw new FormatError(`statement line :61: "${clip(text)}" does not parse: ${statementLineProblem(text)}`, at);
  const mark = m[3] as Mark;
  const [int, frac] = (m[5] as string).split(',') as [string, string];
  const positive = mark === 'C' || mark === 'RD';
  const magnitude = amountDec(m[5] as string, f);
  s.entries++;
  s.net = addDec(s.net, positive ? magnitude : negDec(magnitude));
  const tally = positive ? s.credits : s.debits;
  tally.count++;
  tally.sum = addDec(tally.sum, magnitude);
  st.entries++;
  if (positive) st.credits++;
  else st.debits++;
  const valueDate = m[1] as string;
  const entryDate = m[2]?.trim() ? m[2] : undefined;
  const [customerRef] = (m[7] as string).split('//');
  const ref = (customerRef as string).trim();
  st.pending = {
    entry: {
      txnId: `${s.account}/${s.seq}/${period}/${s.entries}`,
      account: s.account,
      amount: `${positive ? '' : '-'}${int}${frac ? `.${frac}` : ''}`,
      currency,
      bookedAt: bookingDate(valueDate, entryDate),
      valueDate: isoDate(valueDate),
      location: `${s.name}, :61: #${s.entries} (line ${f.line})`,
    },
    customerRef: ref === '' || ref.toUpperCase() === 'NONREF' ? null : ref,
    raw: [...f.lines],
    info: [],
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
  return `expected the transaction type (N, F or S and 3 characters) after the amount ${amount}, found "${rest.slice(amount.length, amount.length + 4)}"`;
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

function flushEntry(st: ReadState): void {
  const p = st.pending;
  st.pending = undefined;
  if (!p) return;
  const infos = p.info.map(parseInfo);
  const structured = infos.find((i) => i.structured);
  const reference = [p.customerRef ?? '', ...infos.map((i) => i.text)].filter((t) => t !== '').join(' ');
  let raw = p.raw.join('\n');
  if (raw.length > MAX_RAW_CHARS) raw = raw.slice(0, MAX_RAW_CHARS);
  st.ready.push({
    ...p.entry,
    counterpartyAccount: structured?.account ?? null,
    counterpartyName: structured?.name ?? null,
    reference: reference === '' ? null : reference.slice(0, MAX_REFERENCE_CHARS),
    raw,
  });
}

interface Info {
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
function parseInfo(lines: string[]): Info {
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
  const remittance = order.filter((c) => (c >= 20 && c <= 29) || (c >= 60 && c <= 63)).map((c) => sub.get(c)).join('');
  const name = squash(`${sub.get(32) ?? ''}${sub.get(33) ?? ''}`);
  const account = squash(sub.get(31) ?? '');
  return { structured: true, text: squash(remittance || (sub.get(0) ?? '')), name: name || null, account: account || null };
}

function endStatement(st: ReadState, lineNo: number): void {
  flushEntry(st);
  const s = st.stmt as Statement;
  st.stmt = undefined;
  const at = `line ${lineNo}`;
  if (!s.account) throw new FormatError(`${s.name}: no account identification :25: (a mandatory field)`, at);
  if (!s.seq) throw new FormatError(`${s.name}: no statement number :28C: (a mandatory field)`, at);
  if (s.opening) {
    if (!s.closing) throw new FormatError(`${s.name}: no closing balance :62F:/:62M: (a mandatory field)`, at);
    st.mt940++;
    checkBalances(st, s, s.opening, s.closing);
  } else if (s.floorCurrency) {
    if (!s.dateTime) throw new FormatError(`${s.name}: no date/time indication :13D: (a mandatory field of MT942)`, at);
    st.mt942++;
    if (s.entries > 0 && !s.d90 && !s.c90) st.warnings.push(`${s.name}: MT942 report without :90D:/:90C: totals; its ${s.entries} entries are not checked`);
  } else {
    throw new FormatError(`${s.name}: neither an opening balance :60F:/:60M: (MT940) nor a floor limit :34F: (MT942)`, at);
  }
  const currency = (s.opening?.currency ?? s.floorCurrency) as string;
  for (const [d, tally, kind] of [
    [s.d90, s.debits, 'debit entries (D, RC)'],
    [s.c90, s.credits, 'credit entries (C, RD)'],
  ] as const) {
    if (!d) continue;
    if (d.currency !== currency) throw new FormatError(`${s.name}: :${d.tag}: is in ${d.currency} but the statement is in ${currency}`, `line ${d.line}`);
    const label = `${s.name}: :${d.tag}:`;
    st.controlTotals[`${label} number of ${kind}`] = String(d.count);
    st.controlTotals[`${label} sum of ${kind} ${currency}`] = formatDec(d.amount);
    st.checks.push(
      { name: `${label} number of ${kind}`, location: `line ${d.line}`, expected: String(d.count), found: String(tally.count), ok: d.count === tally.count },
      { name: `${label} sum of ${kind} (${currency})`, location: `line ${d.line}`, expected: formatDec(d.amount), found: formatAt(tally.sum, d.amount), ok: decEquals(d.amount, tally.sum) },
    );
  }
}

function checkBalances(st: ReadState, s: Statement, opening: Balance, closing: Balance): void {
  const ccy = opening.currency;
  const found = addDec(opening.amount, s.net);
  st.controlTotals[`${s.name} opening ${ccy}`] = formatDec(opening.amount);
  st.controlTotals[`${s.name} closing ${ccy}`] = formatDec(closing.amount);
  st.checks.push({
    name: `${s.name}: opening :${opening.tag}: + ${s.entries} statement lines :61: = closing :${closing.tag}: (${ccy})`,
    location: `line ${closing.line}`,
    expected: formatDec(closing.amount),
    found: formatAt(found, closing.amount),
    ok: decEquals(found, closing.amount),
  });
  const key = `${s.account}\u0000${ccy}`;
  const prev = st.lastClosing.get(key);
  if (prev && !decEquals(prev.amount, opening.amount)) {
    st.warnings.push(`statement ${s.no} opens at ${formatDec(opening.amount)} ${ccy} but statement ${prev.no} closed at ${formatDec(prev.amount)} ${ccy}: a statement may be missing`);
  }
  st.lastClosing.set(key, { no: s.no, amount: closing.amount });
}

/** A computed total at (at least) the scale of the declared one it is compared with: "0" → "0.00". */
function formatAt(computed: Dec, declared: Dec): string {
  return formatDec(addDec(computed, { units: 0n, scale: declared.scale }));
}

function clip(t: string): string {
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}
