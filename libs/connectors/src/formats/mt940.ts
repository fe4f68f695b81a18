/**
 * SWIFT MT940 (customer statement) and MT942 (interim transaction report), streaming.
 *
 * A statement opens at `:20:` and ends at a line "-" (also "-}" of a SWIFT envelope) or at the next
 * `:20:`. Each `:61:` statement line becomes one {@link BankEntry}, with the `:86:` fields after it.
 * Envelope blocks `{1:…}{2:…}{3:…}{4:` / `-}{5:…}` and the SOH/ETX bytes that frame messages in
 * DOS-PCC files are stripped. Checks: MT940 opening + Σ entries = closing; MT942 `:90D:`/`:90C:`
 * count and sum. Only the current statement, the last closing balance per account (for at most 10,000
 * accounts) and a bounded list of checks, warnings and control totals (`Findings`) are kept.
 *
 * This file holds the reader and its handling of each field and statement; the checks of a finished
 * statement are in `mt940-checks.ts`, the line
 * tokenizer is in `mt940-lines.ts`, the parsing of field values in `mt940-fields.ts`, the entry being
 * read in `mt940-entry.ts` and the shapes of the reader's state in `mt940-state.ts`.
 */

import { addDec, negDec } from '@strongroom/money';
import { addInfo, newPending, toEntry } from './mt940-entry';
import { parseBalance, parseDateTime, parseDeclared90, parseFloorLimit, parseStatementLine } from './mt940-fields';
import { clip, continueField, openField, singleLine, unwrap, type Field } from './mt940-lines';
import { newReadState, newStatement, type ReadState, type Statement } from './mt940-state';
import { checkBalances, checkDeclared90 } from './mt940-checks';
import { TextInput } from './text-input';
import { FormatError, type BankEntry, type FormatReader, type FormatSummary } from './types';

/** The MT940/MT942 reader; `lenient` reads Ctrl-Z marks between statements and :61: lines without a type, with warnings. */
export function mt940Reader(options: { lenient?: boolean } = {}): FormatReader {
  return (input) => readStatements(input, options.lenient ?? false);
}

export const readMt940: FormatReader = mt940Reader();

async function* readStatements(input: AsyncIterable<Buffer>, lenient: boolean): ReturnType<FormatReader> {
  const text = new TextInput(input);
  const st = newReadState();
  st.lenient = lenient;
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
    throw new FormatError(
      `no MT940 statement or MT942 report: expected a :20: field (transaction reference number) opening one, ${found}`,
      st.lines ? `lines 1-${st.lines}` : 'file',
    );
  }
  if (st.eofMarks)
    st.findings.warn(
      `${st.eofMarks} DOS end-of-file mark(s) (Ctrl-Z) between statements were dropped (strictness: lenient)`,
    );
  if (st.untyped)
    st.findings.warn(`${st.untyped} statement line(s) :61: without a transaction type were read (strictness: lenient)`);
  const { controlTotals, checks, warnings } = st.findings.result();
  // last, and never folded into "… more warnings": it explains the format given to the whole file
  if (st.mt940 > 0 && st.mt942 > 0)
    warnings.push(
      `the file mixes ${st.mt940} MT940 statement(s) and ${st.mt942} MT942 report(s); its format is given as mt940`,
    );
  return {
    format: st.mt942 > 0 && st.mt940 === 0 ? 'mt942' : 'mt940',
    version: null,
    encoding: text.encoding,
    counts: { statements: st.statements, entries: st.entries, credits: st.credits, debits: st.debits },
    controlTotals,
    checks,
    warnings,
  } satisfies FormatSummary;
}

const KNOWN_TAGS = new Set([
  '20',
  '21',
  '25',
  '28',
  '28C',
  '60F',
  '60M',
  '61',
  '86',
  '62F',
  '62M',
  '64',
  '65',
  '34F',
  '13',
  '13D',
  '90D',
  '90C',
]);

function onLine(st: ReadState, source: string, lineNo: number): void {
  const { end, content } = unwrap(source, lineNo, st.lenient ? () => st.eofMarks++ : undefined);
  if (end) {
    finishField(st);
    if (st.stmt) endStatement(st, lineNo);
  }
  if (content === null) return;
  const field = openField(content, lineNo);
  if (field) {
    finishField(st);
    st.field = field;
  } else if (st.field) {
    continueField(st.field, content);
  } else if (content.trim() !== '' && !st.ignored) {
    st.ignored = `text without a field tag ("${clip(content)}" on line ${lineNo})`;
  }
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
    // non-SWIFT fields (":NS:", ":940:") are skipped — said, never silently; they do not end an entry
    if (s) st.findings.warn(`${s.name}: the field :${f.tag}: (line ${f.line}) is not an MT940/MT942 field: skipped`);
    return;
  }
  if (!s)
    throw new FormatError(
      `found :${f.tag}: outside a statement: expected :20: (transaction reference number) to open one first`,
      `line ${f.line}`,
    );
  if (f.tag === '86') {
    if (st.pending) addInfo(st.pending, f);
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
      if (s.closing || s.entries > 0)
        throw new FormatError(
          `${s.name}: opening balance :${f.tag}: after the statement lines or the closing balance`,
          at,
        );
      s.opening = parseBalance(f);
      return;
    case '61':
      startEntry(st, s, f);
      return;
    case '62F':
    case '62M': {
      once(s, '62', 'closing balance', f);
      if (!s.opening)
        throw new FormatError(
          `${s.name}: closing balance :${f.tag}: without an opening balance :60F:/:60M: (a mandatory field)`,
          at,
        );
      const closing = parseBalance(f);
      if (closing.currency !== s.opening.currency) {
        throw new FormatError(
          `${s.name}: closing balance :${f.tag}: is in ${closing.currency} but the opening balance :${s.opening.tag}: is in ${s.opening.currency}`,
          at,
        );
      }
      s.closing = closing;
      return;
    }
    case '64':
    case '65':
      parseBalance(f); // informative, but must be well formed
      return;
    case '34F': {
      const floor = parseFloorLimit(f);
      if (s.floorCurrency && s.floorCurrency !== floor.currency)
        throw new FormatError(`${s.name}: floor limits :34F: in ${s.floorCurrency} and ${floor.currency}`, at);
      s.floorCurrency = floor.currency;
      if (!floor.decimalComma)
        st.findings.warn(
          `${s.name}: floor limit :34F: "${floor.value}" has no decimal comma; accepted (informative field)`,
        );
      return;
    }
    case '13':
    case '13D': {
      once(s, '13', 'date/time indication', f);
      s.dateTime = parseDateTime(f);
      return;
    }
    case '90D':
    case '90C': {
      once(s, f.tag, f.tag === '90D' ? 'number and sum of debits' : 'number and sum of credits', f);
      const d = parseDeclared90(f.tag, f);
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
  st.stmt = newStatement(st.statements, ref);
}

/** A field that may appear once per statement. */
function once(s: Statement, group: string, label: string, f: Field): void {
  const first = s.seen.get(group);
  if (first !== undefined)
    throw new FormatError(`${s.name}: a second ${label} :${f.tag}: (the first is on line ${first})`, `line ${f.line}`);
  s.seen.set(group, f.line);
}

function startEntry(st: ReadState, s: Statement, f: Field): void {
  const at = `line ${f.line}`;
  if (!s.account)
    throw new FormatError(
      `${s.name}: statement line :61: before the account identification :25: (a mandatory field)`,
      at,
    );
  if (!s.seq)
    throw new FormatError(`${s.name}: statement line :61: before the statement number :28C: (a mandatory field)`, at);
  if (s.closing)
    throw new FormatError(`${s.name}: statement line :61: after the closing balance :${s.closing.tag}:`, at);
  const currency = s.opening?.currency ?? s.floorCurrency;
  if (!currency)
    throw new FormatError(
      `${s.name}: statement line :61: before the opening balance :60F:/:60M: (MT940) or the floor limit :34F: (MT942)`,
      at,
    );
  const period = s.opening?.date ?? s.dateTime;
  if (!period)
    throw new FormatError(
      `${s.name}: statement line :61: before the date/time indication :13D: (mandatory in MT942)`,
      at,
    );
  const { positive, magnitude, amount, bookedAt, valueDate, customerRef } = parseStatementLine(
    f,
    st.lenient ? () => st.untyped++ : undefined,
  );
  s.entries++;
  s.net = addDec(s.net, positive ? magnitude : negDec(magnitude));
  const tally = positive ? s.credits : s.debits;
  tally.count++;
  tally.sum = addDec(tally.sum, magnitude);
  st.entries++;
  if (positive) st.credits++;
  else st.debits++;
  const entry = {
    txnId: `${s.account}/${s.seq}/${period}/${s.entries}`,
    account: s.account,
    amount,
    currency,
    bookedAt,
    valueDate,
    location: `${s.name}, :61: #${s.entries} (line ${f.line})`,
  };
  st.pending = newPending(entry, customerRef, f);
}

function flushEntry(st: ReadState): void {
  const p = st.pending;
  st.pending = undefined;
  if (p) st.ready.push(toEntry(p));
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
    if (s.entries > 0 && !s.d90 && !s.c90)
      st.findings.warn(`${s.name}: MT942 report without :90D:/:90C: totals; its ${s.entries} entries are not checked`);
  } else {
    throw new FormatError(
      `${s.name}: neither an opening balance :60F:/:60M: (MT940) nor a floor limit :34F: (MT942)`,
      at,
    );
  }
  checkDeclared90(st, s, (s.opening?.currency ?? s.floorCurrency) as string);
}
