/**
 * The camt reader: camt.052 (Rpt), camt.053 (Stmt) and camt.054 (Ntfctn), one BankEntry per Ntry, and
 * per statement the checks of its control totals — OPBD/PRCD + booked entries = CLBD (with the
 * forward-value convention only when it explains the difference exactly), TxsSummry, and each
 * itemised Btch; those checks live in iso20022-camt-checks.ts, the state in iso20022-camt-state.ts.
 * Elements are matched by local name and position, so every schema version (.001.01 to .001.08+)
 * reads alike. State: the current statement's totals and the current entry's fields.
 */
import { DecimalSum, negDec } from '@strongroom/money';
import { closeBalance, closeGroup, finishStatement, MAX_UNSIGNED } from './iso20022-camt-checks';
import {
  type Camt,
  type CamtScope,
  type Entry,
  type Group,
  label,
  named,
  newEntry,
  newStatement,
  openGroup,
  STATEMENT,
  type Statement,
} from './iso20022-camt-state';
import {
  attribute,
  datePart,
  directedAmount,
  parseXmlAmount,
  type MessageContext,
  type UnstatedSign,
  type MessageReader,
  type XmlFrame,
} from './iso20022-xml';
import { type BankEntry, FormatError } from './types';

const ACCOUNT_PATHS = new Set([
  'Acct/Id/IBAN',
  'Acct/Id/Othr/Id',
  'Acct/Id/PrtryAcct/Id',
  'Acct/Id/BBAN',
  'Acct/Id/UPIC',
]);
const ENTRY_FIELDS = new Set([
  'Amt',
  'CdtDbtInd',
  'Sts',
  'Sts/Cd',
  'BookgDt/Dt',
  'BookgDt/DtTm',
  'ValDt/Dt',
  'ValDt/DtTm',
  'AcctSvcrRef',
  'AddtlNtryInf',
]);
const PARTY_PATHS = ['Nm', 'Pty/Nm', 'Agt/FinInstnId/Nm'];
const TX_FIELDS = new Set([
  ...['Dbtr', 'Cdtr'].flatMap((p) => [
    ...PARTY_PATHS.map((n) => `RltdPties/${p}/${n}`),
    `RltdPties/${p}Acct/Id/IBAN`,
    `RltdPties/${p}Acct/Id/Othr/Id`,
  ]),
  'RmtInf/Strd/CdtrRefInf/Ref',
  'Refs/EndToEndId',
  'CdtDbtInd',
]);
const MAX_USTRD = 10;
/** The Bal and TxsSummry fields the checks read; others are not kept (a statement could hold any number). */
const BALANCE_FIELDS = new Set(['Tp/CdOrPrtry/Cd', 'Amt', 'CdtDbtInd', 'Dt/Dt', 'Dt/DtTm']);
const SUMMARY_FIELDS = new Set(
  ['NbOfNtries', 'Sum', 'TtlNetNtry/Amt', 'TtlNetNtryAmt', 'TtlNetNtry/CdtDbtInd', 'CdtDbtInd']
    .map((k) => `TtlNtries/${k}`)
    .concat(['TtlCdtNtries', 'TtlDbtNtries'].flatMap((t) => [`${t}/NbOfNtries`, `${t}/Sum`])),
);

const UNSIGNED_TEXT: Record<UnstatedSign, string> = {
  signed: 'written with their sign',
  zero: 'zero',
  transaction: "by their one TxDtls' CdtDbtInd",
  credit: 'unsigned, read as credit (confirmed by a balance check or transaction summary)',
};

export function createCamtReader(ctx: MessageContext): MessageReader {
  const { tag, counted } = STATEMENT[ctx.format as Camt];
  const { walker, findings } = ctx;
  const message = ctx.version.slice(0, 8);
  const header = { creDtTm: null as string | null };
  const counts = { [counted]: 0, entries: 0, booked: 0, notBooked: 0, transactionDetails: 0 };
  let st: Statement | null = null;
  let entry: Entry | null = null;
  /** Lenient: entries read as booked for want of a status; amounts signed without their CdtDbtInd, by how. */
  let unstated = 0;
  const unsigned: Record<UnstatedSign, number> = { signed: 0, zero: 0, transaction: 0, credit: 0 };
  const scope: CamtScope = {
    tag,
    findings,
    lenient: ctx.lenient === true && ctx.format === 'camt053',
    unsigned,
  };

  function closeTx(e: Entry, g: Group): void {
    const amount = g.tx?.amt ?? g.tx?.amtDtls ?? null;
    g.txCount++;
    counts.transactionDetails++;
    if (amount === null) g.allAmounts = false;
    else g.txSum.add(parseXmlAmount(amount, 'TxDtls amount', `line ${g.tx?.line ?? e.line}`).dec);
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
    const location = `${label(scope, s)}/Ntry[${e.index}] (line ${e.line})`;
    const { amount: signed, how } = directedAmount({
      amount: f('Amt'),
      indicator: f('CdtDbtInd'),
      txIndicator: e.txSeen === 1 ? f('tx:CdtDbtInd') : undefined,
      what: 'Ntry/',
      location,
      lenient: scope.lenient,
    });
    if (how) unsigned[how]++;
    const debit = signed.dec.units < 0n;
    const amount = debit ? { text: signed.text.slice(1), dec: negDec(signed.dec) } : signed;
    if (!e.ccy) throw new FormatError('Ntry/Amt has no Ccy', location);
    let status = f('Sts') ?? f('Sts/Cd');
    if (!status) {
      // a statement (camt.053) reports booked entries: leniently, an entry without its status is one
      if (!scope.lenient)
        throw new FormatError(
          `Ntry has no Sts${ctx.format === 'camt053' ? ' (a camt.053 entry without one is read as booked with source.strictness: lenient)' : ''}`,
          location,
        );
      status = 'BOOK';
      unstated++;
    }
    if (!s.id) throw new FormatError(`${tag} has no Id`, location);
    if (!s.account) throw new FormatError(`${tag} has no Acct/Id`, location);
    const valueDate = datePart(f('ValDt/Dt') ?? f('ValDt/DtTm'));
    const bookedAt =
      f('BookgDt/DtTm') ?? f('BookgDt/Dt') ?? f('ValDt/DtTm') ?? f('ValDt/Dt') ?? s.creDtTm ?? header.creDtTm;
    if (!bookedAt) throw new FormatError('Ntry has no BookgDt, no ValDt and its statement no CreDtTm', location);

    s.entries++;
    s.absSum.add(amount.dec);
    s.net.add(signed.dec);
    const side = debit ? s.debit : s.credit;
    side.count++;
    side.sum.add(amount.dec);
    const booked = status === 'BOOK';
    // a booked entry read as credit for want of any sign: a control total of the statement must confirm it
    if (how === 'credit' && booked) {
      const u = s.unsignedCredits.get(e.ccy) ?? { count: 0, amounts: [] };
      s.unsignedCredits.set(e.ccy, u);
      u.count++;
      if (u.amounts.length <= MAX_UNSIGNED) u.amounts.push(amount.dec);
    }
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
    if (ref && s.refs.repeated(ref)) {
      findings.warn(
        `${location}: AcctSvcrRef ${ref} appears more than once in ${named(scope, s)}; this entry is keyed by its position`,
      );
      txnId = `${txnId}/#${e.index}`;
    }

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

  return {
    open(frame, depth) {
      if (depth === 2 && frame.local === tag) {
        counts[counted] = (counts[counted] ?? 0) + 1;
        st = newStatement(counts[counted] ?? 0);
        return;
      }
      if (!st) return;
      if (depth === 3 && frame.local === 'Bal') st.draft = new Map();
      else if (depth === 3 && frame.local === 'Ntry') {
        entry = newEntry(st.entries + 1, frame.line);
        walker.startRaw();
      } else if (entry && depth === 4 && frame.local === 'NtryDtls') openGroup(entry);
      else if (
        entry &&
        frame.local === 'TxDtls' &&
        (depth === 4 || (depth === 5 && walker.at(4)?.local === 'NtryDtls'))
      ) {
        const g = entry.group ?? openGroup(entry); // camt.05x.001.01: TxDtls directly under Ntry
        entry.txSeen++;
        g.tx = { amt: null, amtDtls: null, line: frame.line };
      } else if (entry && depth === 4 && frame.local === 'Btch' && !entry.group) openGroup(entry);
    },

    close(frame, depth) {
      if (depth === 3 && frame.local === 'CreDtTm' && walker.at(2)?.local === 'GrpHdr') header.creDtTm = frame.text;
      const s: Statement | null = st;
      if (!s) return;
      if (depth === 2 && frame.local === tag) {
        finishStatement(scope, s);
        st = null;
      } else if (entry && depth === 3 && frame.local === 'Ntry') {
        if (entry.group) closeGroup(scope, s, entry, entry.group);
        ctx.emit(closeEntry(s, entry));
        entry = null;
      } else if (entry) {
        if (depth === 4 && frame.local === 'NtryDtls' && entry.group) closeGroup(scope, s, entry, entry.group);
        else if (frame.local === 'TxDtls' && entry.group?.tx) closeTx(entry, entry.group);
        else if (frame.text) entryField(entry, frame, walker.path(4));
      } else if (depth === 3 && frame.local === 'Bal') closeBalance(scope, s, frame);
      else if (frame.text) {
        const rel = walker.path(3);
        if (rel === 'Id') s.id = frame.text;
        else if (rel === 'CreDtTm') s.creDtTm = frame.text;
        else if (ACCOUNT_PATHS.has(rel)) s.account ??= frame.text;
        else if (s.draft && rel.startsWith('Bal/') && BALANCE_FIELDS.has(rel.slice(4)))
          s.draft.set(rel.slice(4), { text: frame.text, line: frame.line, ccy: attribute(frame, 'Ccy') });
        else if (rel.startsWith('TxsSummry/') && SUMMARY_FIELDS.has(rel.slice(10)))
          s.summary.set(rel.slice(10), { text: frame.text, line: frame.line });
      }
    },

    finish() {
      if (!counts[counted]) throw new FormatError(`${message} document has no ${tag}`, 'end of document');
      if (unstated)
        findings.warn(
          `${unstated} entr${unstated === 1 ? 'y' : 'ies'} without Sts read as booked (strictness: lenient)`,
        );
      const n = unsigned.signed + unsigned.zero + unsigned.transaction + unsigned.credit;
      if (n)
        findings.warn(
          `${n} amount${n === 1 ? '' : 's'} without CdtDbtInd read by their sign (strictness: lenient): ` +
            (['signed', 'zero', 'transaction', 'credit'] as const)
              .filter((k) => unsigned[k])
              .map((k) => `${unsigned[k]} ${UNSIGNED_TEXT[k]}`)
              .join(', '),
        );
      return counts;
    },
  };
}
