import { formatDec, fromMinor } from './decimal';
import { TextInput } from './text-input';
import { FormatError, MAX_RAW_CHARS, type BankEntry, type ControlCheck, type FormatReader, type FormatSummary } from './types';

/**
 * BAI2 reader (Cash Management Balance Reporting Specifications, version 2): a 01 file header, groups
 * (02 … 98) of accounts (03 … 49) holding transaction details (16), a 99 file trailer; an 88 continues
 * the record before it. One entry per 16 record, in file order; only the open account and group are
 * kept, with running totals.
 *
 * Terms used here: a *record* is one record as written, ended by "/" (several may share a line, and
 * every 88 is a record of its own); a *logical record* is a record with the 88s that continue it. The
 * record counts of the 49, 98 and 99 trailers count records, as the specification does.
 *
 * Where the text of a 16 or 88 ends: "/" ends every other record at once (their fields may not hold
 * "/"), but the free text of a 16 or 88 may hold "/" (sample5), so there a "/" ends the record only
 * when the rest of the line is blank or is another record ("/ 49,…"). A line with no record code right
 * after a 16 or 88 that has no "/" yet continues that text (a wrapped line, sample3); it is not a record.
 *
 * Checks: each 49 against the account (the sum of every amount of the 03 and its 88s and of every 16
 * amount, as the signed integers written, funds-availability amounts of S and D excluded; the records
 * 03..49), each 98 against its group (the sum of the declared 49 totals, the accounts, the records
 * 02..98), the 99 against the file (the sum of the 98 totals, the groups, the records 01..99).
 * Control totals are integers in minor units, as written (leading zeros and "+" dropped), since a
 * group may mix currencies; a blank total is "(blank)" and is right only where nothing was summed.
 *
 * Entry keys: `${as-of date YYMMDD}/${account}/${bank reference}`, or `…/#n` without a reference, n
 * counting the details of that account number on that as-of date through the whole file (an account
 * reported twice on one date, as in sample1, must not give the same keys twice).
 */

const RECORD_NAMES: Readonly<Record<string, string>> = {
  '01': '01 file header',
  '02': '02 group header',
  '03': '03 account identifier',
  '16': '16 transaction detail',
  '88': '88 continuation',
  '49': '49 account trailer',
  '98': '98 group trailer',
  '99': '99 file trailer',
};
/** Records whose last field is free text (which may hold "/"). */
const TEXT_RECORDS = new Set(['16', '88']);
/** A logical record longer than this fails the file (memory stays bounded). */
const MAX_RECORD_CHARS = 1 << 20;
const MAX_WARNINGS = 100;
const GROUP_STATUS: Readonly<Record<string, string>> = { '1': 'update', '2': 'deletion', '3': 'correction', '4': 'test only' };
/** ISO 4217 minor units where they are not 2 (amounts carry implied decimals by currency). */
const CURRENCY_DECIMALS: Readonly<Record<string, number>> = {
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4,
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
};

const LINE_STARTS_RECORD = /^\s*\d\d,/;
const CODE_AT = /(\d\d),/y;
const REST_IS_BLANK = /\s*$/y;
const NEXT_RECORD = /\s*(?:01|02|03|16|49|88|98|99),/y;
const AMOUNT = /^[+-]?\d+$/;
const DIGITS = /^\d+$/;

/** One record as written. */
interface PhysicalRecord {
  code: string;
  /** The fields after the code, without the "/" that ends the record. */
  body: string;
  /** Ended by "/" (a 16 or 88 without one may go on on the next line). */
  terminated: boolean;
  line: number;
  /** Lines without a record code that continued its text. */
  wraps: number;
  source: string;
}

type Phase = 'start' | 'file' | 'group' | 'account' | 'end';
const EXPECTED: Readonly<Record<Phase, string>> = {
  start: 'a 01 file header',
  file: 'a 02 group header or the 99 file trailer',
  group: 'a 03 account identifier or the 98 group trailer',
  account: 'a 16 transaction detail or the 49 account trailer',
  end: 'nothing after the 99 file trailer',
};
/** The phase in which each record (but 88) may come. */
const ALLOWED_IN: Readonly<Record<string, Phase>> = { '01': 'start', '02': 'file', '99': 'file', '03': 'group', '98': 'group', '16': 'account', '49': 'account' };

/** The file, a group or an account while it is open. */
interface Scope {
  /** Its first line. */
  line: number;
  /** Records so far (88s included). */
  records: number;
  /** Lines without a record code that continued a text (not records; counted for the warning). */
  wraps: number;
  /** Account: the sum of its amounts; group and file: the sum of the declared 49 / 98 totals (minor units as written). */
  total: bigint;
  /** Whether an amount (or a non-blank trailer total) went into `total`; a blank trailer total is right only without. */
  hasAmounts: boolean;
  /** Accounts of a group, groups of the file. */
  children: number;
}
interface Group extends Scope {
  index: number;
  asOf: string;
  asOfIso: string;
  currency: string;
}
interface Account extends Scope {
  number: string;
  /** "account 123", or "account 123 #2" when the number was reported before in the file. */
  name: string;
  currency: string;
  decimals: number;
}

interface ReaderState {
  phase: Phase;
  version: string | null;
  file: Scope;
  group: Group | null;
  account: Account | null;
  counts: { groups: number; accounts: number; details: number; continuations: number };
  controlTotals: Record<string, string>;
  checks: ControlCheck[];
  warnings: string[];
  warningsLeftOut: number;
  /** Details so far per as-of date and account number: the #n of keys without a bank reference. */
  detailSeq: Map<string, number>;
  accountUses: Map<string, number>;
  lastLine: number;
}

/** Reads a BAI2 file: yields one entry per 16 record and returns the control totals and their checks. */
export const readBai2: FormatReader = async function* readBai2(input) {
  const text = new TextInput(input);
  const st: ReaderState = {
    phase: 'start',
    version: null,
    file: scope(0, 0),
    group: null,
    account: null,
    counts: { groups: 0, accounts: 0, details: 0, continuations: 0 },
    controlTotals: {},
    checks: [],
    warnings: [],
    warningsLeftOut: 0,
    detailSeq: new Map(),
    accountUses: new Map(),
    lastLine: 0,
  };
  let pending: PhysicalRecord[] = [];
  let pendingChars = 0;
  for await (const rec of physicalRecords(text.lines(), st)) {
    if (rec.code === '88') {
      if (!pending.length) throw new FormatError(`expected ${EXPECTED[st.phase]}, found an 88 continuation with no record before it to continue`, `line ${rec.line}`);
      pendingChars += rec.source.length;
      if (pendingChars > MAX_RECORD_CHARS) throw new FormatError(`the record and its 88 continuations are longer than ${MAX_RECORD_CHARS} characters`, `line ${pending[0]?.line}`);
      pending.push(rec);
      continue;
    }
    if (pending.length) {
      const entry = finishRecord(st, pending);
      if (entry) yield entry;
    }
    pending = [rec];
    pendingChars = rec.source.length;
  }
  if (pending.length) {
    const entry = finishRecord(st, pending);
    if (entry) yield entry;
  }
  if (st.phase !== 'end') {
    const what = st.phase === 'start' ? 'the end of an empty file' : 'the end of the file (no 99 file trailer)';
    throw new FormatError(`expected ${EXPECTED[st.phase]}, found ${what}`, `line ${Math.max(st.lastLine, 1)}`);
  }
  if (st.warningsLeftOut) st.warnings.push(`(+${st.warningsLeftOut} more warnings left out)`);
  const summary: FormatSummary = {
    format: 'bai2',
    version: st.version,
    encoding: text.encoding,
    counts: { ...st.counts },
    controlTotals: st.controlTotals,
    checks: st.checks,
    warnings: st.warnings,
  };
  return summary;
};

// ---- records as written ---------------------------------------------------------------------

/** Splits lines into records: several records on a line, a 16/88 text wrapped over lines (see the top). */
async function* physicalRecords(lines: AsyncIterable<{ text: string; lineNo: number }>, st: ReaderState): AsyncGenerator<PhysicalRecord> {
  let open: PhysicalRecord | null = null;
  for await (const { text, lineNo } of lines) {
    st.lastLine = lineNo;
    let pos = 0;
    let afterSlash = false;
    if (open) {
      const rec: PhysicalRecord = open;
      open = null;
      if (text.trim() !== '' && !LINE_STARTS_RECORD.test(text)) {
        const r = findEnd(text, 0, rec.code);
        rec.body += ` ${text.slice(0, r.end)}`;
        rec.source += `\n${text.slice(0, r.terminated ? r.end + 1 : r.end)}`;
        rec.wraps++;
        rec.terminated = r.terminated;
        warn(st, `line ${lineNo}: a line without a record code continues the text of the ${RECORD_NAMES[rec.code]} at line ${rec.line}; read as part of it, not as a record`);
        if (!r.terminated) {
          open = rec;
          continue;
        }
        yield rec;
        if (r.next < 0) continue;
        pos = r.next;
        afterSlash = true;
      } else {
        yield rec;
      }
    }
    for (;;) {
      const start = skipSpace(text, pos);
      if (start >= text.length) break;
      const code = readCode(text, start, lineNo, afterSlash);
      const r = findEnd(text, start + 3, code);
      const rec: PhysicalRecord = {
        code,
        body: text.slice(start + 3, r.end),
        terminated: r.terminated,
        line: lineNo,
        wraps: 0,
        source: text.slice(start, r.terminated ? r.end + 1 : r.end),
      };
      if (r.next < 0) {
        if (!r.terminated && TEXT_RECORDS.has(code)) open = rec;
        else yield rec;
        break;
      }
      yield rec;
      pos = r.next;
      afterSlash = true;
    }
  }
  if (open) yield open;
}

/** Where the record starting before `from` ends ("/" or the end of the line) and where the next one on the line starts (-1: none). */
function findEnd(text: string, from: number, code: string): { end: number; next: number; terminated: boolean } {
  for (let i = text.indexOf('/', from); i >= 0; i = text.indexOf('/', i + 1)) {
    REST_IS_BLANK.lastIndex = i + 1;
    if (REST_IS_BLANK.test(text)) return { end: i, next: -1, terminated: true };
    NEXT_RECORD.lastIndex = i + 1;
    if (!TEXT_RECORDS.has(code) || NEXT_RECORD.test(text)) return { end: i, next: skipSpace(text, i + 1), terminated: true };
  }
  return { end: text.length, next: -1, terminated: false };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text.charAt(i))) i++;
  return i;
}

function readCode(text: string, at: number, line: number, afterSlash: boolean): string {
  CODE_AT.lastIndex = at;
  const m = CODE_AT.exec(text);
  const found = JSON.stringify(text.slice(at, at + 24));
  if (!m) {
    const expected = afterSlash ? 'another record or the end of the line after "/"' : 'a record code (01, 02, 03, 16, 88, 49, 98 or 99) and a comma at the start of the line';
    throw new FormatError(`expected ${expected}, found ${found}`, `line ${line}`);
  }
  const code = m[1] as string;
  if (!RECORD_NAMES[code]) throw new FormatError(`unknown record code "${code}": expected 01, 02, 03, 16, 88, 49, 98 or 99`, `line ${line}`);
  return code;
}

// ---- logical records --------------------------------------------------------------------------

function finishRecord(st: ReaderState, recs: PhysicalRecord[]): BankEntry | null {
  const head = recs[0] as PhysicalRecord;
  if (ALLOWED_IN[head.code] !== st.phase) {
    const open = st.account ? ` (account ${st.account.number} from line ${st.account.line} has no 49 yet)` : '';
    throw new FormatError(`expected ${EXPECTED[st.phase]}, found a ${RECORD_NAMES[head.code]}${open}`, `line ${head.line}`);
  }
  st.counts.continuations += recs.length - 1;
  switch (head.code) {
    case '01':
      fileHeader(st, recs);
      return null;
    case '02':
      groupHeader(st, recs);
      return null;
    case '03':
      accountHeader(st, recs);
      return null;
    case '16':
      return detail(st, recs);
    default:
      trailer(st, recs);
      return null;
  }
}

function fileHeader(st: ReaderState, recs: PhysicalRecord[]) {
  const f = fields(recs);
  const loc = `line ${recs[0]?.line} (01 file header)`;
  isoDate(f[2] ?? '', 'creation date', loc);
  const time = f[3] ?? '';
  if (/^\d\d:\d\d(:\d\d)?$/.test(time)) warn(st, `${loc}: creation time "${time}" is not HHMM; accepted (the time is not used)`);
  else checkTime(time, 'creation time', loc);
  countField(f[5] ?? '', 'physical record length', loc);
  countField(f[6] ?? '', 'block size', loc);
  const version = f[7] ?? '';
  if (version !== '2') throw new FormatError(`version "${version}" is not supported: expected 2`, loc);
  st.version = version;
  st.file = scope(recs[0]?.line ?? 0, recs.length);
  st.phase = 'file';
}

function groupHeader(st: ReaderState, recs: PhysicalRecord[]) {
  const f = fields(recs);
  const index = ++st.counts.groups;
  const loc = `line ${recs[0]?.line} (02 group header, group ${index})`;
  const status = f[2] ?? '';
  if (status !== '1') warn(st, `${loc}: group status "${status}" (${GROUP_STATUS[status] ?? 'not a BAI2 status'}); its details are read like any other`);
  const asOf = f[3] ?? '';
  const asOfIso = isoDate(asOf, 'as-of date', loc);
  checkTime(f[4] ?? '', 'as-of time', loc);
  const currency = currencyCode(f[5] ?? '', 'USD', loc);
  st.group = { ...scope(recs[0]?.line ?? 0, recs.length), index, asOf, asOfIso, currency };
  st.file.children++;
  st.phase = 'group';
}

function accountHeader(st: ReaderState, recs: PhysicalRecord[]) {
  const group = st.group as Group;
  // fields with a null at the end of each record: a trailing run of empty fields that starts a
  // summary in one record is that record's padding ("015,10000,,,/"), not the start of a summary
  const toks: (string | null)[] = [];
  for (const r of recs) toks.push(...r.body.split(',').map((s) => s.trim()), null);
  let i = 0;
  const value = (): string => {
    while (i < toks.length) {
      const t = toks[i++];
      if (t !== null && t !== undefined) return t;
    }
    return '';
  };
  const number = value();
  const line = recs[0]?.line ?? 0;
  if (!number) throw new FormatError('the 03 account identifier has no account number', `line ${line}`);
  const loc = `line ${line} (03 account identifier, account ${number})`;
  const currency = currencyCode(value(), group.currency, loc);
  const uses = (st.accountUses.get(number) ?? 0) + 1;
  st.accountUses.set(number, uses);
  const account: Account = {
    ...scope(line, recs.length),
    number,
    name: uses === 1 ? `account ${number}` : `account ${number} #${uses}`,
    currency,
    decimals: CURRENCY_DECIMALS[currency] ?? 2,
  };
  for (const r of recs) account.wraps += r.wraps;
  let summary: string[] = [];
  const field = (): string | undefined => {
    while (i < toks.length) {
      const t = toks[i++];
      if (t !== null && t !== undefined) {
        summary.push(t);
        return t;
      }
      if (summary.every((s) => s === '')) {
        summary = [];
        return undefined;
      }
    }
    return summary.length ? '' : undefined;
  };
  while (i < toks.length) {
    summary = [];
    const type = field();
    if (type === undefined) continue;
    if (type !== '' && !/^\d{3}$/.test(type)) throw new FormatError(`summary type code "${type}" is not a 3-digit number`, loc);
    const amount = field();
    if (amount === undefined) continue;
    if (amount !== '') {
      account.total += amountValue(amount, `type ${type} amount`, loc);
      account.hasAmounts = true;
    }
    const count = field();
    if (count === undefined) continue;
    countField(count, `type ${type} item count`, loc);
    const funds = field();
    if (funds === undefined) continue;
    fundsType(funds, field, loc);
  }
  st.account = account;
  st.counts.accounts++;
  group.children++;
  st.phase = 'account';
}

/**
 * Direction of a 16 type code (Appendix A of the specification): 100–399 credit, 400–699 debit;
 * loans 720–728 (payment applied) credit and 760 (disbursement) debit; 920–959 customized credits,
 * 960–999 customized debits. 890 ("contains non-monetary information") has none: 0, not booked. Null
 * when BAI2 gives the code no direction (000–099 and 900–919 account status, 701–709 loan status, and
 * the unassigned rest of 700–899): guessing the sign of money is worse than refusing the file. (An
 * older reading, "700–799 loan detail: debit", would book the loan payments 720–728 the wrong way.)
 */
function detailDirection(code: number): 1 | -1 | 0 | null {
  if ((code >= 100 && code <= 399) || (code >= 720 && code <= 728) || (code >= 920 && code <= 959)) return 1;
  if ((code >= 400 && code <= 699) || code === 760 || code >= 960) return -1;
  return code === 890 ? 0 : null;
}

function noDirection(code: number): string {
  if (code < 100) return 'an account status code';
  if (code >= 900 && code <= 919) return 'a customized account status code';
  if ([701, 703, 705, 707, 709].includes(code)) return 'a loan status code';
  return 'not assigned by BAI2';
}

function detail(st: ReaderState, recs: PhysicalRecord[]): BankEntry {
  const group = st.group as Group;
  const account = st.account as Account;
  const head = recs[0] as PhysicalRecord;
  const loc = `line ${head.line} (16 record, account ${account.number})`;
  const bodies = recs.map((r) => r.body);
  let ri = 0;
  let pos = 0;
  /** The next field (across the 88s); undefined after the last. */
  const field = (): string | undefined => {
    for (; ri < bodies.length; ri++, pos = 0) {
      const b = bodies[ri] as string;
      if (pos > b.length) continue;
      const comma = b.indexOf(',', pos);
      const end = comma < 0 ? b.length : comma;
      const v = b.slice(pos, end).trim();
      pos = end + 1;
      return v;
    }
    return undefined;
  };
  const type = field() ?? '';
  if (!/^\d{3}$/.test(type)) throw new FormatError(type ? `type code "${type}" is not a 3-digit number` : 'the type code is missing', loc);
  const direction = detailDirection(Number(type));
  if (direction === null) throw new FormatError(`type code ${type} is ${noDirection(Number(type))}, with no debit or credit direction; expected a transaction type code`, loc);
  const amountText = field() ?? '';
  const units = amountText === '' ? 0n : amountValue(amountText, 'amount', loc);
  if (amountText === '' && direction !== 0) warn(st, `${loc}: the amount is blank; read as 0`);
  if (/^[+-]/.test(amountText)) warn(st, `${loc}: the amount "${amountText}" is signed (BAI2 detail amounts are not; the type code gives the direction); the sign is applied on top of type ${type}'s direction`);
  const valueDate = fundsType(field() ?? '', field, loc);
  const bankRef = field() ?? '';
  const customerRef = field() ?? '';
  // the text: the rest of the record (commas included) and every 88 after it
  const text: string[] = [];
  for (; ri < bodies.length; ri++, pos = 0) {
    const b = bodies[ri] as string;
    if (pos <= b.length) text.push(b.slice(pos).trim());
  }
  account.records += recs.length;
  for (const r of recs) account.wraps += r.wraps;
  if (amountText !== '') {
    account.total += units;
    account.hasAmounts = true;
  }
  st.counts.details++;
  const seqKey = `${group.asOf}/${account.number}`;
  const n = (st.detailSeq.get(seqKey) ?? 0) + 1;
  st.detailSeq.set(seqKey, n);
  const reference = [customerRef, ...text].filter((s) => s !== '').join(' ');
  const entry: BankEntry = {
    txnId: `${seqKey}/${bankRef || `#${n}`}`,
    account: account.number,
    counterpartyAccount: null,
    counterpartyName: null,
    amount: formatDec(fromMinor(direction === -1 ? -units : units, account.decimals)),
    currency: account.currency,
    bookedAt: group.asOfIso,
    valueDate,
    reference: reference || null,
    raw: recs.map((r) => r.source).join('\n').slice(0, MAX_RAW_CHARS),
    location: loc,
  };
  if (direction === 0) entry.filter = 'NOT_BOOKED';
  return entry;
}

/** 49, 98 and 99: the checks of the account, group or file they close. */
function trailer(st: ReaderState, recs: PhysicalRecord[]) {
  const head = recs[0] as PhysicalRecord;
  const f = fields(recs);
  const wraps = recs.reduce((sum, r) => sum + r.wraps, 0);
  if (head.code === '49') {
    const account = st.account as Account;
    const group = st.group as Group;
    const loc = `line ${head.line} (49 account trailer, account ${account.number})`;
    account.records += recs.length;
    account.wraps += wraps;
    const declared = totalField(f[0] ?? '', 'account control total', loc);
    totalCheck(st, `${account.name} control total`, loc, declared, account);
    countCheck(st, `${account.name} number of records`, loc, f[1] ?? '', account.records, account, head.line);
    addToParent(group, account, declared);
    st.account = null;
    st.phase = 'group';
  } else if (head.code === '98') {
    const group = st.group as Group;
    const loc = `line ${head.line} (98 group trailer, group ${group.index})`;
    group.records += recs.length;
    group.wraps += wraps;
    const declared = totalField(f[0] ?? '', 'group control total', loc);
    totalCheck(st, `group ${group.index} control total`, loc, declared, group);
    countCheck(st, `group ${group.index} number of accounts`, loc, f[1] ?? '', group.children);
    countCheck(st, `group ${group.index} number of records`, loc, f[2] ?? '', group.records, group, head.line);
    addToParent(st.file, group, declared);
    st.group = null;
    st.phase = 'file';
  } else {
    const file = st.file;
    const loc = `line ${head.line} (99 file trailer)`;
    file.records += recs.length;
    file.wraps += wraps;
    const declared = totalField(f[0] ?? '', 'file control total', loc);
    totalCheck(st, 'file control total', loc, declared, file);
    countCheck(st, 'file number of groups', loc, f[1] ?? '', file.children);
    countCheck(st, 'file number of records', loc, f[2] ?? '', file.records, file, head.line);
    st.phase = 'end';
  }
}

function addToParent(parent: Scope, child: Scope, declared: bigint | null) {
  parent.total += declared ?? 0n;
  parent.hasAmounts ||= declared !== null;
  parent.records += child.records;
  parent.wraps += child.wraps;
}

function totalCheck(st: ReaderState, name: string, location: string, declared: bigint | null, of: Scope) {
  st.controlTotals[name] = declared === null ? '(blank)' : declared.toString();
  const ok = declared === null ? !of.hasAmounts : declared === of.total;
  st.checks.push({ name, location, expected: st.controlTotals[name] as string, found: of.total.toString(), ok });
}

/** A count check; with `of`, a failed record count that matches another way of counting is named in a warning. */
function countCheck(st: ReaderState, name: string, location: string, text: string, found: number, of?: Scope, lastLine?: number) {
  const declared = countField(text, name, location);
  const expected = declared === null ? '(blank)' : declared.toString();
  const ok = expected === String(found);
  st.checks.push({ name, location, expected, found: String(found), ok });
  if (ok || declared === null || !of || lastLine === undefined) return;
  const lines = lastLine - of.line + 1;
  if (expected === String(lines)) {
    warn(st, `${location}: ${name} is ${expected}, the number of lines from line ${of.line} to line ${lastLine}; BAI2 counts records (each of several on a line, and every 88), which gives ${found}`);
  } else if (of.wraps && expected === String(found + of.wraps)) {
    warn(st, `${location}: ${name} is ${expected}, which counts the ${of.wraps} line(s) without a record code that continue a text as records; BAI2 counts records, which gives ${found}`);
  }
}

// ---- fields -----------------------------------------------------------------------------------

function fields(recs: PhysicalRecord[]): string[] {
  return recs.flatMap((r) => r.body.split(',').map((s) => s.trim()));
}

/**
 * The extra fields of a funds type: S three availability amounts, V a value date and time, D a count
 * then (days, amount) pairs; 0, 1, 2, Z and blank none. Returns the V value date (ISO) or null.
 */
function fundsType(funds: string, next: () => string | undefined, loc: string): string | null {
  switch (funds) {
    case '':
    case '0':
    case '1':
    case '2':
    case 'Z':
      return null;
    case 'S':
      for (const what of ['immediate', 'one-day', 'two-or-more-day']) amountOrBlank(next() ?? '', `S ${what} availability amount`, loc);
      return null;
    case 'V': {
      const date = isoDate(next() ?? '', 'V value date', loc);
      checkTime(next() ?? '', 'V value time', loc);
      return date;
    }
    case 'D': {
      const n = next() ?? '';
      if (!DIGITS.test(n)) throw new FormatError(`D distribution count "${n}" is not a number`, loc);
      for (let k = 1; k <= Number(n); k++) {
        const days = next() ?? '';
        if (!DIGITS.test(days)) throw new FormatError(`D distribution ${k} of ${n}: days "${days}" is not a number`, loc);
        amountValue(next() ?? '', `D distribution ${k} of ${n} amount`, loc);
      }
      return null;
    }
    default:
      throw new FormatError(`funds type "${funds}" is not one of 0, 1, 2, Z, S, V or D`, loc);
  }
}

function amountValue(text: string, what: string, loc: string): bigint {
  if (!AMOUNT.test(text)) throw new FormatError(`${what} "${text}" is not an amount (expected digits with an optional sign and no decimal point)`, loc);
  return BigInt(text);
}

function amountOrBlank(text: string, what: string, loc: string): bigint | null {
  return text === '' ? null : amountValue(text, what, loc);
}

function totalField(text: string, what: string, loc: string): bigint | null {
  return amountOrBlank(text, what, loc);
}

function countField(text: string, what: string, loc: string): bigint | null {
  if (text === '') return null;
  if (!DIGITS.test(text)) throw new FormatError(`${what} "${text}" is not a number`, loc);
  return BigInt(text);
}

/** YYMMDD to YYYY-MM-DD (years 69–99 are 19xx, as POSIX reads two-digit years). */
function isoDate(text: string, what: string, loc: string): string {
  const m = /^(\d\d)(\d\d)(\d\d)$/.exec(text);
  const yy = Number(m?.[1]);
  const year = yy >= 69 ? 1900 + yy : 2000 + yy;
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (!m || month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
    throw new FormatError(`${what} "${text}" is not a date (expected YYMMDD)`, loc);
  }
  return `${year}-${m[2]}-${m[3]}`;
}

/** HHMM (0000–2359, 2400 end of day, 9999 end of day as some banks write it) or blank. */
function checkTime(text: string, what: string, loc: string) {
  if (text === '' || text === '2400' || text === '9999') return;
  const m = /^(\d\d)(\d\d)$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new FormatError(`${what} "${text}" is not a time (expected HHMM)`, loc);
}

function currencyCode(text: string, fallback: string, loc: string): string {
  if (text === '') return fallback;
  if (!/^[A-Z]{3}$/.test(text)) throw new FormatError(`currency "${text}" is not an ISO 4217 code`, loc);
  return text;
}

function scope(line: number, records: number): Scope {
  return { line, records, wraps: 0, total: 0n, hasAmounts: false, children: 0 };
}

function warn(st: ReaderState, message: string) {
  if (st.warnings.length < MAX_WARNINGS) st.warnings.push(message);
  else st.warningsLeftOut++;
}
