import { addDec, decEquals, DecimalSum, formatDec, negDec, ZERO, type Dec } from './decimal';
import {
  attribute,
  datePart,
  debitIndicator,
  parseAmount,
  parseCount,
  signAmount,
  type MessageContext,
  type MessageReader,
  type XmlFrame,
} from './iso20022-xml';
import { type BankEntry, FormatError } from './types';

/**
 * camt.052 (Rpt), camt.053 (Stmt) and camt.054 (Ntfctn): one BankEntry per Ntry, and per statement
 * the checks of its control totals — OPBD/PRCD + booked entries = CLBD (with the forward-value
 * convention only when it explains the difference exactly), TxsSummry, and each itemised Btch.
 * Elements are matched by local name and position, so every schema version (.001.01 to .001.08+)
 * reads alike. State: the current statement's totals and the current entry's fields.
 */

type Camt = 'camt052' | 'camt053' | 'camt054';
const STATEMENT: Record<Camt, { tag: string; counted: string }> = {
  camt052: { tag: 'Rpt', counted: 'reports' },
  camt053: { tag: 'Stmt', counted: 'statements' },
  camt054: { tag: 'Ntfctn', counted: 'notifications' },
};
const ACCOUNT_PATHS = new Set(['Acct/Id/IBAN', 'Acct/Id/Othr/Id', 'Acct/Id/PrtryAcct/Id', 'Acct/Id/BBAN', 'Acct/Id/UPIC']);
const BALANCE_CODES = new Set(['OPBD', 'PRCD', 'CLBD', 'FWAV']);
const ENTRY_FIELDS = new Set(['Amt', 'CdtDbtInd', 'Sts', 'Sts/Cd', 'BookgDt/Dt', 'BookgDt/DtTm', 'ValDt/Dt', 'ValDt/DtTm', 'AcctSvcrRef', 'AddtlNtryInf']);
const PARTY_PATHS = ['Nm', 'Pty/Nm', 'Agt/FinInstnId/Nm'];
const TX_FIELDS = new Set([
  ...['Dbtr', 'Cdtr'].flatMap((p) => [...PARTY_PATHS.map((n) => `RltdPties/${p}/${n}`), `RltdPties/${p}Acct/Id/IBAN`, `RltdPties/${p}Acct/Id/Othr/Id`]),
  'RmtInf/Strd/CdtrRefInf/Ref',
  'Refs/EndToEndId',
]);
const MAX_USTRD = 10;
/** OPBD/PRCD/CLBD/FWAV balances kept per statement (a real statement has a handful). */
const MAX_BALANCES = 50;

interface Balance {
  code: string;
  amount: { text: string; dec: Dec };
  ccy: string;
  date: string | null;
  line: number;
}

interface Booked {
  sum: DecimalSum;
  /** Booked amounts by value date, for the forward-value convention (bounded by distinct dates). */
  byValueDate: Map<string, { sum: DecimalSum; count: number }>;
}

interface Statement {
  index: number;
  id: string | null;
  creDtTm: string | null;
  account: string | null;
  balances: Balance[];
  draft: Map<string, { text: string; line: number; ccy: string | null }> | null;
  summary: Map<string, { text: string; line: number }>;
  entries: number;
  absSum: DecimalSum;
  net: DecimalSum;
  credit: { count: number; sum: DecimalSum };
  debit: { count: number; sum: DecimalSum };
  booked: Map<string, Booked>;
  /** AcctSvcrRefs seen in this statement (the one piece of state that grows with its entries). */
  refs: Set<string>;
  checks: number;
}

interface Group {
  index: number;
  nbOfTxs: { text: string; line: number } | null;
  ttlAmt: { text: string; line: number } | null;
  txCount: number;
  txSum: DecimalSum;
  allAmounts: boolean;
  tx: { amt: string | null; amtDtls: string | null; line: number } | null;
}

interface Entry {
  index: number;
  line: number;
  fields: Map<string, string>;
  ccy: string | null;
  ustrd: string[];
  txSeen: number;
  groups: number;
  group: Group | null;
}

export function createCamtReader(ctx: MessageContext): MessageReader {
  const { tag, counted } = STATEMENT[ctx.format as Camt];
  const { walker, findings } = ctx;
  const message = ctx.version.slice(0, 8);
  const header = { creDtTm: null as string | null };
  const counts = { [counted]: 0, entries: 0, booked: 0, notBooked: 0, transactionDetails: 0 };
  let st: Statement | null = null;
  let entry: Entry | null = null;

  const label = (s: Statement): string => `${tag}[${s.index}]`;
  const named = (s: Statement): string => `${label(s)} (Id ${s.id ?? '?'})`;

  function openGroup(e: Entry): Group {
    e.group = { index: ++e.groups, nbOfTxs: null, ttlAmt: null, txCount: 0, txSum: new DecimalSum(), allAmounts: true, tx: null };
    return e.group;
  }

  function closeGroup(s: Statement, e: Entry, g: Group): void {
    e.group = null;
    const where = `${label(s)}/Ntry[${e.index}] NtryDtls[${g.index}]`;
    let itemised = g.txCount > 0;
    if (g.nbOfTxs) {
      const declared = parseCount(g.nbOfTxs.text, 'Btch/NbOfTxs', `line ${g.nbOfTxs.line}`);
      // A batch booked as one entry is often reported without (or with one summary) TxDtls: not itemised.
      itemised = g.txCount >= Math.min(2, declared);
      if (itemised) {
        s.checks++;
        findings.check('Btch NbOfTxs', { name: `${where} Btch NbOfTxs`, location: `line ${g.nbOfTxs.line}`, expected: String(declared), found: String(g.txCount), ok: declared === g.txCount });
      } else {
        findings.warn(`${where}: Btch NbOfTxs ${declared} with ${g.txCount} TxDtls: the batch is not itemised; its count is not checked`);
      }
    }
    if (g.ttlAmt) {
      const declared = parseAmount(g.ttlAmt.text, 'Btch/TtlAmt', `line ${g.ttlAmt.line}`);
      if (itemised && g.allAmounts) {
        s.checks++;
        findings.check('Btch TtlAmt', { name: `${where} Btch TtlAmt`, location: `line ${g.ttlAmt.line}`, expected: declared.text, found: g.txSum.toString(), ok: decEquals(declared.dec, g.txSum.get()) });
      } else {
        findings.warn(`${where}: Btch TtlAmt ${declared.text} not checked (${itemised ? 'a TxDtls has no amount' : 'the batch is not itemised'})`);
      }
    }
  }

  function closeTx(e: Entry, g: Group): void {
    const amount = g.tx?.amt ?? g.tx?.amtDtls ?? null;
    g.txCount++;
    counts.transactionDetails++;
    if (amount === null) g.allAmounts = false;
    else g.txSum.add(parseAmount(amount, 'TxDtls amount', `line ${g.tx?.line ?? e.line}`).dec);
    g.tx = null;
  }

  function entryField(e: Entry, frame: XmlFrame, rel: string): void {
    if (ENTRY_FIELDS.has(rel)) {
      if (!e.fields.has(rel)) e.fields.set(rel, frame.text);
      if (rel === 'Amt') e.ccy = attribute(frame, 'Ccy');
      return;
    }
    // NtryDtls/Btch|TxDtls (v2+) or Btch|TxDtls directly under Ntry (camt.05x.001.01)
    const detail = rel.startsWith('NtryDtls/') ? rel.slice(9) : rel;
    const g = e.group;
    if (!g) return;
    if (detail === 'Btch/NbOfTxs') g.nbOfTxs = { text: frame.text, line: frame.line };
    else if (detail === 'Btch/TtlAmt') g.ttlAmt = { text: frame.text, line: frame.line };
    else if (detail.startsWith('TxDtls/') && g.tx) {
      const tx = detail.slice(7);
      if (tx === 'Amt') g.tx.amt = frame.text;
      else if (tx === 'AmtDtls/TxAmt/Amt') g.tx.amtDtls = frame.text;
      else if (e.txSeen === 1 && tx === 'RmtInf/Ustrd' && e.ustrd.length < MAX_USTRD) e.ustrd.push(frame.text);
      else if (e.txSeen === 1 && TX_FIELDS.has(tx) && !e.fields.has(`tx:${tx}`)) e.fields.set(`tx:${tx}`, frame.text);
    }
  }

  function closeEntry(s: Statement, e: Entry): BankEntry {
    const f = (k: string): string | undefined => e.fields.get(k);
    const location = `${label(s)}/Ntry[${e.index}] (line ${e.line})`;
    const amount = parseAmount(f('Amt'), 'Ntry/Amt', location);
    if (!e.ccy) throw new FormatError('Ntry/Amt has no Ccy', location);
    const debit = debitIndicator(f('CdtDbtInd'), 'Ntry/CdtDbtInd', location);
    const status = f('Sts') ?? f('Sts/Cd');
    if (!status) throw new FormatError('Ntry has no Sts', location);
    if (!s.id) throw new FormatError(`${tag} has no Id`, location);
    if (!s.account) throw new FormatError(`${tag} has no Acct/Id`, location);
    const signed = signAmount(amount, debit);
    const valueDate = datePart(f('ValDt/Dt') ?? f('ValDt/DtTm'));
    const bookedAt = f('BookgDt/DtTm') ?? f('BookgDt/Dt') ?? f('ValDt/DtTm') ?? f('ValDt/Dt') ?? s.creDtTm ?? header.creDtTm;
    if (!bookedAt) throw new FormatError('Ntry has no BookgDt, no ValDt and its statement no CreDtTm', location);

    s.entries++;
    s.absSum.add(amount.dec);
    s.net.add(signed.dec);
    const side = debit ? s.debit : s.credit;
    side.count++;
    side.sum.add(amount.dec);
    const booked = status === 'BOOK';
    counts.entries++;
    counts[booked ? 'booked' : 'notBooked']++;
    if (booked) {
      const b = s.booked.get(e.ccy) ?? { sum: new DecimalSum(), byValueDate: new Map() };
      s.booked.set(e.ccy, b);
      b.sum.add(signed.dec);
      if (valueDate) {
        const d = b.byValueDate.get(valueDate) ?? { sum: new DecimalSum(), count: 0 };
        b.byValueDate.set(valueDate, d);
        d.sum.add(signed.dec);
        d.count++;
      }
    }

    const ref = f('AcctSvcrRef');
    let txnId = ref ? `${s.id}/${ref}` : `${s.id}/#${e.index}`;
    if (ref && s.refs.has(ref)) {
      findings.warn(`${location}: AcctSvcrRef ${ref} appears more than once in ${named(s)}; this entry is keyed by its position`);
      txnId = `${txnId}/#${e.index}`;
    } else if (ref) s.refs.add(ref);

    const party = debit ? 'Cdtr' : 'Dbtr';
    const endToEnd = f('tx:Refs/EndToEndId');
    const result: BankEntry = {
      txnId,
      account: s.account,
      counterpartyAccount: f(`tx:RltdPties/${party}Acct/Id/IBAN`) ?? f(`tx:RltdPties/${party}Acct/Id/Othr/Id`) ?? null,
      counterpartyName: PARTY_PATHS.map((n) => f(`tx:RltdPties/${party}/${n}`)).find((v) => v !== undefined) ?? null,
      amount: signed.text,
      currency: e.ccy,
      bookedAt,
      valueDate,
      reference:
        (e.ustrd.length ? e.ustrd.join(' ') : undefined) ??
        f('tx:RmtInf/Strd/CdtrRefInf/Ref') ??
        (endToEnd && endToEnd !== 'NOTPROVIDED' ? endToEnd : undefined) ??
        f('AddtlNtryInf') ??
        null,
      raw: walker.takeRaw(),
      location,
    };
    if (!booked) result.filter = 'NOT_BOOKED';
    return result;
  }

  function closeBalance(s: Statement, frame: XmlFrame): void {
    const d = s.draft;
    s.draft = null;
    const code = d?.get('Tp/CdOrPrtry/Cd')?.text;
    if (!d || !code || !BALANCE_CODES.has(code)) return;
    if (s.balances.length >= MAX_BALANCES) {
      findings.warn(`${named(s)}: more than ${MAX_BALANCES} balances; Bal ${code} at line ${frame.line} is ignored`);
      return;
    }
    const amt = d.get('Amt');
    const where = `line ${amt?.line ?? frame.line}`;
    const amount = signAmount(parseAmount(amt?.text, `Bal ${code} Amt`, where), debitIndicator(d.get('CdtDbtInd')?.text, `Bal ${code} CdtDbtInd`, where));
    if (!amt?.ccy) throw new FormatError(`Bal ${code} Amt has no Ccy`, where);
    s.balances.push({ code, amount, ccy: amt.ccy, date: datePart(d.get('Dt/Dt')?.text ?? d.get('Dt/DtTm')?.text), line: amt.line });
    const role = code === 'CLBD' ? 'closing' : code === 'FWAV' ? 'forward available' : 'opening';
    findings.total(`${label(s)} ${role} ${code} ${amt.ccy}`, amount.text);
  }

  return {
    open(frame, depth) {
      if (depth === 2 && frame.local === tag) {
        counts[counted] = (counts[counted] ?? 0) + 1;
        st = {
          index: counts[counted] ?? 0, id: null, creDtTm: null, account: null, balances: [], draft: null, summary: new Map(),
          entries: 0, absSum: new DecimalSum(), net: new DecimalSum(), credit: { count: 0, sum: new DecimalSum() }, debit: { count: 0, sum: new DecimalSum() },
          booked: new Map(), refs: new Set(), checks: 0,
        };
        return;
      }
      if (!st) return;
      if (depth === 3 && frame.local === 'Bal') st.draft = new Map();
      else if (depth === 3 && frame.local === 'Ntry') {
        entry = { index: st.entries + 1, line: frame.line, fields: new Map(), ccy: null, ustrd: [], txSeen: 0, groups: 0, group: null };
        walker.startRaw();
      } else if (entry && depth === 4 && frame.local === 'NtryDtls') openGroup(entry);
      else if (entry && frame.local === 'TxDtls' && (depth === 4 || (depth === 5 && walker.stack[4]?.local === 'NtryDtls'))) {
        const g = entry.group ?? openGroup(entry); // camt.05x.001.01: TxDtls directly under Ntry
        entry.txSeen++;
        g.tx = { amt: null, amtDtls: null, line: frame.line };
      } else if (entry && depth === 4 && frame.local === 'Btch' && !entry.group) openGroup(entry);
    },

    close(frame, depth) {
      if (depth === 3 && frame.local === 'CreDtTm' && walker.stack[2]?.local === 'GrpHdr') header.creDtTm = frame.text;
      const s: Statement | null = st;
      if (!s) return;
      if (depth === 2 && frame.local === tag) {
        finishStatement(s);
        st = null;
      } else if (entry && depth === 3 && frame.local === 'Ntry') {
        if (entry.group) closeGroup(s, entry, entry.group);
        ctx.emit(closeEntry(s, entry));
        entry = null;
      } else if (entry) {
        if (depth === 4 && frame.local === 'NtryDtls' && entry.group) closeGroup(s, entry, entry.group);
        else if (frame.local === 'TxDtls' && entry.group?.tx) closeTx(entry, entry.group);
        else if (frame.text) entryField(entry, frame, walker.path(4));
      } else if (depth === 3 && frame.local === 'Bal') closeBalance(s, frame);
      else if (frame.text) {
        const rel = walker.path(3);
        if (rel === 'Id') s.id = frame.text;
        else if (rel === 'CreDtTm') s.creDtTm = frame.text;
        else if (ACCOUNT_PATHS.has(rel)) s.account ??= frame.text;
        else if (s.draft && rel.startsWith('Bal/')) s.draft.set(rel.slice(4), { text: frame.text, line: frame.line, ccy: attribute(frame, 'Ccy') });
        else if (rel.startsWith('TxsSummry/')) s.summary.set(rel.slice(10), { text: frame.text, line: frame.line });
      }
    },

    finish() {
      if (!counts[counted]) throw new FormatError(`${message} document has no ${tag}`, 'end of document');
      return counts;
    },
  };

  function finishStatement(s: Statement): void {
    balanceChecks(s);
    summaryChecks(s);
    if (!s.checks) findings.warn(`${named(s)}: no control totals to check (no OPBD/CLBD pair, no TxsSummry, no itemised Btch)`);
  }

  function check(s: Statement, kind: string, name: string, line: number, expected: string, found: string, ok: boolean): void {
    s.checks++;
    findings.check(kind, { name: `${named(s)} ${name}`, location: `line ${line}`, expected, found, ok });
  }

  function balanceChecks(s: Statement): void {
    const openings = s.balances.filter((b) => b.code === 'OPBD');
    for (const b of s.balances) if (b.code === 'PRCD' && !openings.some((o) => o.ccy === b.ccy)) openings.push(b);
    const closings = s.balances.filter((b) => b.code === 'CLBD');
    if (!openings.length || !closings.length) {
      if (openings.length || closings.length) findings.warn(`${named(s)}: ${openings[0]?.code ?? 'CLBD'} without ${openings.length ? 'CLBD' : 'OPBD'}; balance not checked`);
      return;
    }
    for (const [ccy, b] of s.booked) {
      if (!closings.some((c) => c.ccy === ccy)) findings.warn(`${named(s)}: booked entries in ${ccy} (net ${b.sum.toString()}) are covered by no closing balance`);
    }
    for (const close of closings) {
      const name = `closing balance CLBD ${close.ccy}`;
      const open = openings.find((o) => o.ccy === close.ccy) ?? (openings.length === 1 ? openings[0] : undefined);
      if (!open) {
        check(s, 'balance', name, close.line, close.amount.text, `no opening balance in ${close.ccy}`, false);
        continue;
      }
      const booked = s.booked.get(open.ccy);
      const computed = addDec(open.amount.dec, booked?.sum.get() ?? ZERO);
      if (open.ccy !== close.ccy) {
        check(s, 'balance', name, close.line, `${close.amount.text} ${close.ccy}`, `${formatDec(computed)} ${open.ccy} (${open.code} ${open.amount.text} ${open.ccy} + booked entries)`, false);
      } else if (decEquals(computed, close.amount.dec) || !forwardValue(s, open, close, computed, booked)) {
        check(s, 'balance', name, close.line, close.amount.text, formatDec(computed), decEquals(computed, close.amount.dec));
      } // else: accepted under the forward-value convention, checked and reported by forwardValue
    }
  }

  /** The forward-value convention: CLBD leaves out booked entries value-dated after its date. */
  function forwardValue(s: Statement, open: Balance, close: Balance, computed: Dec, booked: Booked | undefined): boolean {
    if (!close.date || !booked) return false;
    const later = new DecimalSum();
    let count = 0;
    for (const [date, d] of booked.byValueDate) {
      if (date > close.date) {
        later.add(d.sum.get());
        count += d.count;
      }
    }
    const withoutLater = addDec(computed, negDec(later.get()));
    if (!count || !decEquals(withoutLater, close.amount.dec)) return false;
    check(s, 'balance', `closing balance CLBD ${close.ccy}`, close.line, close.amount.text, formatDec(withoutLater), true);
    const fwav = s.balances.find((b) => b.code === 'FWAV' && b.ccy === close.ccy);
    findings.warn(
      `${named(s)}: CLBD ${close.ccy} ${close.amount.text} = ${open.code} + the booked entries value-dated on or before ${close.date}; ` +
        `${count} booked entr${count === 1 ? 'y' : 'ies'} value-dated later (net ${later.toString()}) left out under the forward-value convention` +
        (fwav ? `, checked against FWAV` : '; no FWAV balance to confirm it'),
    );
    if (fwav) {
      const expectedFwav = addDec(close.amount.dec, later.get());
      check(s, 'balance', `forward available balance FWAV ${close.ccy} = CLBD + later value-dated entries`, fwav.line, fwav.amount.text, formatDec(expectedFwav), decEquals(expectedFwav, fwav.amount.dec));
    }
    return true;
  }

  function summaryChecks(s: Statement): void {
    const field = (k: string): { text: string; line: number } | undefined => s.summary.get(k);
    const countCheck = (k: string, found: number): void => {
      const d = field(k);
      if (!d) return;
      findings.total(`${label(s)} TxsSummry ${k}`, d.text);
      const declared = parseCount(d.text, `TxsSummry ${k}`, `line ${d.line}`);
      check(s, 'TxsSummry', `TxsSummry ${k}`, d.line, String(declared), String(found), declared === found);
    };
    const sumCheck = (k: string, found: Dec, debit = false): void => {
      const d = field(k);
      if (!d) return;
      const declared = signAmount(parseAmount(d.text, `TxsSummry ${k}`, `line ${d.line}`), debit);
      findings.total(`${label(s)} TxsSummry ${k}`, declared.text);
      check(s, 'TxsSummry', `TxsSummry ${k}`, d.line, declared.text, formatDec(found), decEquals(declared.dec, found));
    };
    countCheck('TtlNtries/NbOfNtries', s.entries);
    sumCheck('TtlNtries/Sum', s.absSum.get());
    const netKey = field('TtlNtries/TtlNetNtry/Amt') ? 'TtlNtries/TtlNetNtry/Amt' : 'TtlNtries/TtlNetNtryAmt';
    const netInd = field('TtlNtries/TtlNetNtry/CdtDbtInd') ?? field('TtlNtries/CdtDbtInd');
    if (field(netKey)) sumCheck(netKey, s.net.get(), debitIndicator(netInd?.text ?? 'CRDT', 'TxsSummry net CdtDbtInd', `line ${netInd?.line ?? 0}`));
    countCheck('TtlCdtNtries/NbOfNtries', s.credit.count);
    sumCheck('TtlCdtNtries/Sum', s.credit.sum.get());
    countCheck('TtlDbtNtries/NbOfNtries', s.debit.count);
    sumCheck('TtlDbtNtries/Sum', s.debit.sum.get());
  }
}
