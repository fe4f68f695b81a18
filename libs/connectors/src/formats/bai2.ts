/**
 * BAI2 reader (Cash Management Balance Reporting Specifications, version 2): a 01 file header, groups
 * (02 … 98) of accounts (03 … 49) holding transaction details (16), a 99 file trailer; an 88 continues
 * the record before it. One entry per 16 record, in file order; only the open account and group are
 * kept, with running totals.
 *
 * This file holds the reader and the checks of the trailers; the other bai2-*.ts files hold the rest:
 * bai2-records (cutting records), bai2-headers (01, 02, 03), bai2-detail (16), bai2-fields (field
 * values), bai2-type-codes (code tables), bai2-state (the reader state).
 *
 * Terms used here: a *record* is one record as written, ended by "/" (several may share a line, and
 * every 88 is a record of its own); a *logical record* is a record with the 88s that continue it. The
 * record counts of the 49, 98 and 99 trailers count records, as the specification does.
 *
 * Checks: each 49 against the account (the sum of every amount of the 03 and its 88s and of every 16
 * amount, as the signed integers written, funds-availability amounts of S and D excluded; the records
 * 03..49), each 98 against its group (the sum of the declared 49 totals, the accounts, the records
 * 02..98), the 99 against the file (the sum of the 98 totals, the groups, the records 01..99).
 * Control totals are integers in minor units, as written (leading zeros and "+" dropped), since a
 * group may mix currencies; a blank total is "(blank)" and is right only where nothing was summed.
 *
 * Memory does not grow with the file: checks, warnings and control totals go through the bounded
 * `Findings` (per kind of check, 49, 98 or 99, the first 100 passing and 100 failing are listed and the
 * rest folded into one summary check), and the only map (the account numbers of a group, for keys and
 * names) is dropped at the group's 98.
 */
import { accountHeader, fileHeader, groupHeader } from './bai2-headers';
import { detail } from './bai2-detail';
import { countField, totalField } from './bai2-fields';
import { fields, physicalRecords, RECORD_NAMES, type PhysicalRecord } from './bai2-records';
import { scope, warn, type Account, type Group, type Phase, type ReaderState, type Scope } from './bai2-state';
import { Findings } from './findings';
import { TextInput } from './text-input';
import { FormatError, type BankEntry, type FormatReader, type FormatSummary } from './types';

/** A logical record longer than this fails the file (memory stays bounded). */
const MAX_RECORD_CHARS = 1 << 20;
const EXPECTED: Readonly<Record<Phase, string>> = {
  start: 'a 01 file header',
  file: 'a 02 group header or the 99 file trailer',
  group: 'a 03 account identifier or the 98 group trailer',
  account: 'a 16 transaction detail or the 49 account trailer',
  end: 'nothing after the 99 file trailer',
};
/** The phase in which each record (but 88) may come. */
const ALLOWED_IN: Readonly<Record<string, Phase>> = {
  '01': 'start',
  '02': 'file',
  '99': 'file',
  '03': 'group',
  '98': 'group',
  '16': 'account',
  '49': 'account',
};
/** The kinds of checks, by trailer: each kind lists a bounded number of its checks (see findings.ts). */
const KIND = { '49': 'account trailer (49)', '98': 'group trailer (98)', '99': 'file trailer (99)' } as const;
type Kind = (typeof KIND)[keyof typeof KIND];
const FILE_TOTAL = 'file control total';

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
    findings: new Findings(),
    fileTotal: null,
    lastLine: 0,
  };
  let pending: PhysicalRecord[] = [];
  let pendingChars = 0;
  for await (const rec of physicalRecords(text.lines(), st)) {
    if (rec.code === '88') {
      if (!pending.length)
        throw new FormatError(
          `expected ${EXPECTED[st.phase]}, found an 88 continuation with no record before it to continue`,
          `line ${rec.line}`,
        );
      pendingChars += rec.source.length;
      if (pendingChars > MAX_RECORD_CHARS)
        throw new FormatError(
          `the record and its 88 continuations are longer than ${MAX_RECORD_CHARS} characters`,
          `line ${pending[0]?.line}`,
        );
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
  const result = st.findings.result();
  // the file's own total comes last, after any number of account and group totals: always kept
  result.controlTotals[FILE_TOTAL] = st.fileTotal as string;
  const summary: FormatSummary = {
    format: 'bai2',
    version: st.version,
    encoding: text.encoding,
    counts: { ...st.counts },
    ...result,
  };
  return summary;
};

// ---- logical records: each goes to its reader; the trailers are checked here ------------------

function finishRecord(st: ReaderState, recs: PhysicalRecord[]): BankEntry | null {
  const head = recs[0] as PhysicalRecord;
  if (ALLOWED_IN[head.code] !== st.phase) {
    const open = st.account ? ` (account ${st.account.number} from line ${st.account.line} has no 49 yet)` : '';
    throw new FormatError(
      `expected ${EXPECTED[st.phase]}, found a ${RECORD_NAMES[head.code]}${open}`,
      `line ${head.line}`,
    );
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
    st.findings.total(
      `${account.name} control total`,
      totalCheck(st, KIND['49'], `${account.name} control total`, loc, declared, account),
    );
    countCheck(
      st,
      KIND['49'],
      `${account.name} number of records`,
      loc,
      f[1] ?? '',
      account.records,
      account,
      head.line,
    );
    addToParent(group, account, declared);
    st.account = null;
    st.phase = 'group';
  } else if (head.code === '98') {
    const group = st.group as Group;
    const loc = `line ${head.line} (98 group trailer, group ${group.index})`;
    group.records += recs.length;
    group.wraps += wraps;
    const declared = totalField(f[0] ?? '', 'group control total', loc);
    st.findings.total(
      `group ${group.index} control total`,
      totalCheck(st, KIND['98'], `group ${group.index} control total`, loc, declared, group),
    );
    countCheck(st, KIND['98'], `group ${group.index} number of accounts`, loc, f[1] ?? '', group.children);
    countCheck(
      st,
      KIND['98'],
      `group ${group.index} number of records`,
      loc,
      f[2] ?? '',
      group.records,
      group,
      head.line,
    );
    addToParent(st.file, group, declared);
    st.group = null; // and with it the group's map of account numbers
    st.phase = 'file';
  } else {
    const file = st.file;
    const loc = `line ${head.line} (99 file trailer)`;
    file.records += recs.length;
    file.wraps += wraps;
    const declared = totalField(f[0] ?? '', 'file control total', loc);
    st.fileTotal = totalCheck(st, KIND['99'], FILE_TOTAL, loc, declared, file);
    countCheck(st, KIND['99'], 'file number of groups', loc, f[1] ?? '', file.children);
    countCheck(st, KIND['99'], 'file number of records', loc, f[2] ?? '', file.records, file, head.line);
    st.phase = 'end';
  }
}

function addToParent(parent: Scope, child: Scope, declared: bigint | null) {
  parent.total += declared ?? 0n;
  parent.hasAmounts ||= declared !== null;
  parent.records += child.records;
  parent.wraps += child.wraps;
}

/** Checks a declared total against what was summed; returns the declared total as the control totals show it. */
function totalCheck(
  st: ReaderState,
  kind: Kind,
  name: string,
  location: string,
  declared: bigint | null,
  of: Scope,
): string {
  const expected = declared === null ? '(blank)' : declared.toString();
  const ok = declared === null ? !of.hasAmounts : declared === of.total;
  st.findings.check(kind, { name, location, expected, found: of.total.toString(), ok });
  return expected;
}

/** A count check; with `of`, a failed record count that matches another way of counting is named in a warning. */
function countCheck(
  st: ReaderState,
  kind: Kind,
  name: string,
  location: string,
  text: string,
  found: number,
  of?: Scope,
  lastLine?: number,
) {
  const declared = countField(text, name, location);
  const expected = declared === null ? '(blank)' : declared.toString();
  const ok = expected === String(found);
  st.findings.check(kind, { name, location, expected, found: String(found), ok });
  if (ok || declared === null || !of || lastLine === undefined) return;
  const lines = lastLine - of.line + 1;
  if (expected === String(lines)) {
    warn(
      st,
      `${location}: ${name} is ${expected}, the number of lines from line ${of.line} to line ${lastLine}; BAI2 counts records (each of several on a line, and every 88), which gives ${found}`,
    );
  } else if (of.wraps && expected === String(found + of.wraps)) {
    warn(
      st,
      `${location}: ${name} is ${expected}, which counts the ${of.wraps} line(s) without a record code that continue a text as records; BAI2 counts records, which gives ${found}`,
    );
  }
}
