/**
 * The camt control-total checks: each itemised batch (Btch NbOfTxs / TtlAmt against its TxDtls), the
 * OPBD/PRCD/CLBD/FWAV balances a statement declares, and at the statement's end OPBD/PRCD + booked
 * entries = CLBD (with the forward-value convention only when it explains the difference exactly) and
 * TxsSummry against all its entries.
 */
import { addDec, decEquals, DecimalSum, formatDec, negDec, ZERO, type Dec } from '@strongroom/money';
import {
  type Booked,
  type Balance,
  type CamtScope,
  type Entry,
  type Group,
  label,
  named,
  type Statement,
} from './iso20022-camt-state';
import {
  datePart,
  debitIndicator,
  directedAmount,
  parseXmlAmount,
  parseCount,
  signAmount,
  type XmlFrame,
} from './iso20022-xml';
import { FormatError } from './types';

const BALANCE_CODES = new Set(['OPBD', 'PRCD', 'CLBD', 'FWAV']);
/** OPBD/PRCD/CLBD/FWAV balances kept per statement (a real statement has a handful). */
const MAX_BALANCES = 50;

/**
 * Closes the entry's current batch group and checks Btch NbOfTxs and TtlAmt against its TxDtls, when
 * the batch is itemised; a batch booked as one entry is only warned about.
 */
export function closeGroup(scope: CamtScope, s: Statement, e: Entry, g: Group): void {
  const { findings } = scope;
  e.group = null;
  const where = `${label(scope, s)}/Ntry[${e.index}] NtryDtls[${g.index}]`;
  let itemised = g.txCount > 0;
  if (g.nbOfTxs) {
    const declared = parseCount(g.nbOfTxs.text, 'Btch/NbOfTxs', `line ${g.nbOfTxs.line}`);
    // A batch booked as one entry is often reported without (or with one summary) TxDtls: not itemised.
    itemised = g.txCount >= Math.min(2, declared);
    if (itemised) {
      s.checks++;
      findings.check('Btch NbOfTxs', {
        name: `${where} Btch NbOfTxs`,
        location: `line ${g.nbOfTxs.line}`,
        expected: String(declared),
        found: String(g.txCount),
        ok: declared === g.txCount,
      });
    } else {
      findings.warn(
        `${where}: Btch NbOfTxs ${declared} with ${g.txCount} TxDtls: the batch is not itemised; its count is not checked`,
      );
    }
  }
  if (g.ttlAmt) {
    const declared = parseXmlAmount(g.ttlAmt.text, 'Btch/TtlAmt', `line ${g.ttlAmt.line}`);
    if (itemised && g.allAmounts) {
      s.checks++;
      findings.check('Btch TtlAmt', {
        name: `${where} Btch TtlAmt`,
        location: `line ${g.ttlAmt.line}`,
        expected: declared.text,
        found: g.txSum.toString(),
        ok: decEquals(declared.dec, g.txSum.get()),
      });
    } else {
      findings.warn(
        `${where}: Btch TtlAmt ${declared.text} not checked (${itemised ? 'a TxDtls has no amount' : 'the batch is not itemised'})`,
      );
    }
  }
}

/** Closes the statement's draft Bal: an OPBD/PRCD/CLBD/FWAV balance is kept for the checks and reported as a total. */
export function closeBalance(scope: CamtScope, s: Statement, frame: XmlFrame): void {
  const { findings } = scope;
  const d = s.draft;
  s.draft = null;
  const code = d?.get('Tp/CdOrPrtry/Cd')?.text;
  if (!d || !code || !BALANCE_CODES.has(code)) return;
  if (s.balances.length >= MAX_BALANCES) {
    findings.warn(
      `${named(scope, s)}: more than ${MAX_BALANCES} balances; Bal ${code} at line ${frame.line} is ignored`,
    );
    return;
  }
  const amt = d.get('Amt');
  const where = `line ${amt?.line ?? frame.line}`;
  const { amount, how } = directedAmount({
    amount: amt?.text,
    indicator: d.get('CdtDbtInd')?.text,
    what: `Bal ${code} `,
    location: where,
    lenient: scope.lenient === true,
  });
  if (how && scope.unsigned) scope.unsigned[how]++;
  if (!amt?.ccy) throw new FormatError(`Bal ${code} Amt has no Ccy`, where);
  s.balances.push({
    code,
    amount,
    ccy: amt.ccy,
    date: datePart(d.get('Dt/Dt')?.text ?? d.get('Dt/DtTm')?.text),
    line: amt.line,
    ...(how === 'credit' ? { assumed: true } : {}),
  });
  const role = code === 'CLBD' ? 'closing' : code === 'FWAV' ? 'forward available' : 'opening';
  findings.total(`${label(scope, s)} ${role} ${code} ${amt.ccy}`, amount.text);
}

/** At the statement's end tag: the balance and TxsSummry checks, and a warning when it had nothing to check. */
export function finishStatement(scope: CamtScope, s: Statement): void {
  balanceChecks(scope, s);
  summaryChecks(scope, s);
  confirmUnsignedCredits(scope, s);
  if (!s.checks)
    scope.findings.warn(
      `${named(scope, s)}: no control totals to check (no OPBD/CLBD pair, no TxsSummry, no itemised Btch)`,
    );
  if (s.refs.untracked) {
    scope.findings.warn(
      `${named(scope, s)}: ${s.refs.untracked} AcctSvcrRefs after the first ${s.refs.max} distinct ones were not tracked for repeats; ` +
        'a repeat among them kept its plain key and may go to the dead-letter queue as DUPLICATE_KEY',
    );
  }
}

/**
 * Lenient: booked entries read as credit for want of a CdtDbtInd or a written sign stand only when a
 * control total confirms them — a direct balance check in their currency (not one accepted under the
 * forward-value convention) under which that is the only reading that balances, or a transaction summary
 * with its signs (a debit read as a credit would change it). Otherwise the file is refused.
 */
function confirmUnsignedCredits(scope: CamtScope, s: Statement): void {
  if (s.signsConfirmed.has('*')) return;
  for (const [ccy, { count: n }] of s.unsignedCredits) {
    if (s.signsConfirmed.has(ccy)) continue;
    throw new FormatError(
      `${n} entr${n === 1 ? 'y' : 'ies'} in ${ccy} without CdtDbtInd and without a sign: nothing in the statement confirms ${n === 1 ? 'it is a credit' : 'they are credits'} ` +
        `(no balance check in ${ccy} that only that reading passes, no transaction summary with its signs): an entry's direction is never guessed`,
      named(scope, s),
    );
  }
}

/** Unsigned credits of one currency beyond which their reading is not searched for others (2^16 × 4 sums). */
export const MAX_UNSIGNED = 16;

/**
 * Whether reading the statement's unsigned amounts of `close`'s currency as credits — and its unsigned
 * balances (`assumed`) as credits — is the only reading under which opening + booked entries = closing:
 * every other choice of signs (each balance without one either way, any set of the unsigned entries as
 * debits) is tried and must not balance. An overdrawn account written without signs balances both ways
 * and is not confirmed.
 */
function onlyReadingThatBalances(open: Balance, close: Balance, computed: Dec, s: Statement): boolean {
  const u = s.unsignedCredits.get(close.ccy);
  if (!u) return true;
  if (u.count > MAX_UNSIGNED) return false;
  if (!open.assumed && !close.assumed) return true; // a flipped entry changes the sum: only one reading balances
  const opens = open.assumed ? [open.amount.dec, negDec(open.amount.dec)] : [open.amount.dec];
  const closes = close.assumed ? [close.amount.dec, negDec(close.amount.dec)] : [close.amount.dec];
  const entries = addDec(computed, negDec(open.amount.dec)); // the booked sum, unsigned amounts as credits
  for (let mask = 0; mask < 1 << u.amounts.length; mask++) {
    let flipped = ZERO;
    for (let i = 0; i < u.amounts.length; i++) if (mask & (1 << i)) flipped = addDec(flipped, u.amounts[i] as Dec);
    const booked = addDec(entries, negDec(addDec(flipped, flipped)));
    for (const o of opens)
      for (const c of closes) {
        const isDefault = mask === 0 && o === opens[0] && c === closes[0];
        if (!isDefault && decEquals(addDec(o, booked), c)) return false;
      }
  }
  return true;
}

function check(
  scope: CamtScope,
  s: Statement,
  kind: string,
  name: string,
  line: number,
  expected: string,
  found: string,
  ok: boolean,
): void {
  s.checks++;
  scope.findings.check(kind, { name: `${named(scope, s)} ${name}`, location: `line ${line}`, expected, found, ok });
}

function balanceChecks(scope: CamtScope, s: Statement): void {
  const { findings } = scope;
  const openings = s.balances.filter((b) => b.code === 'OPBD');
  for (const b of s.balances) if (b.code === 'PRCD' && !openings.some((o) => o.ccy === b.ccy)) openings.push(b);
  const closings = s.balances.filter((b) => b.code === 'CLBD');
  if (!openings.length || !closings.length) {
    if (openings.length || closings.length)
      findings.warn(
        `${named(scope, s)}: ${openings[0]?.code ?? 'CLBD'} without ${openings.length ? 'CLBD' : 'OPBD'}; balance not checked`,
      );
    return;
  }
  for (const [ccy, b] of s.booked) {
    if (!closings.some((c) => c.ccy === ccy))
      findings.warn(
        `${named(scope, s)}: booked entries in ${ccy} (net ${b.sum.toString()}) are covered by no closing balance`,
      );
  }
  for (const close of closings) {
    const name = `closing balance CLBD ${close.ccy}`;
    const open = openings.find((o) => o.ccy === close.ccy) ?? (openings.length === 1 ? openings[0] : undefined);
    if (!open) {
      check(scope, s, 'balance', name, close.line, close.amount.text, `no opening balance in ${close.ccy}`, false);
      continue;
    }
    const booked = s.booked.get(open.ccy);
    const computed = addDec(open.amount.dec, booked?.sum.get() ?? ZERO);
    if (open.ccy !== close.ccy) {
      check(
        scope,
        s,
        'balance',
        name,
        close.line,
        `${close.amount.text} ${close.ccy}`,
        `${formatDec(computed)} ${open.ccy} (${open.code} ${open.amount.text} ${open.ccy} + booked entries)`,
        false,
      );
    } else if (decEquals(computed, close.amount.dec) || !forwardValue(scope, s, open, close, computed, booked)) {
      // a direct check confirms the unsigned entries it covers when reading them as credits is the only
      // reading that balances
      if (onlyReadingThatBalances(open, close, computed, s)) s.signsConfirmed.add(close.ccy);
      check(
        scope,
        s,
        'balance',
        name,
        close.line,
        close.amount.text,
        formatDec(computed),
        decEquals(computed, close.amount.dec),
      );
    } // else: accepted under the forward-value convention, checked and reported by forwardValue
  }
}

/** The forward-value convention: CLBD leaves out booked entries value-dated after its date. */
function forwardValue(
  scope: CamtScope,
  s: Statement,
  open: Balance,
  close: Balance,
  computed: Dec,
  booked: Booked | undefined,
): boolean {
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
  check(
    scope,
    s,
    'balance',
    `closing balance CLBD ${close.ccy}`,
    close.line,
    close.amount.text,
    formatDec(withoutLater),
    true,
  );
  const fwav = s.balances.find((b) => b.code === 'FWAV' && b.ccy === close.ccy);
  scope.findings.warn(
    `${named(scope, s)}: CLBD ${close.ccy} ${close.amount.text} = ${open.code} + the booked entries value-dated on or before ${close.date}; ` +
      `${count} booked entr${count === 1 ? 'y' : 'ies'} value-dated later (net ${later.toString()}) left out under the forward-value convention` +
      (fwav ? `, checked against FWAV` : '; no FWAV balance to confirm it'),
  );
  if (fwav) {
    const expectedFwav = addDec(close.amount.dec, later.get());
    check(
      scope,
      s,
      'balance',
      `forward available balance FWAV ${close.ccy} = CLBD + later value-dated entries`,
      fwav.line,
      fwav.amount.text,
      formatDec(expectedFwav),
      decEquals(expectedFwav, fwav.amount.dec),
    );
  }
  return true;
}

function summaryChecks(scope: CamtScope, s: Statement): void {
  const { findings } = scope;
  const field = (k: string): { text: string; line: number } | undefined => s.summary.get(k);
  const countCheck = (k: string, found: number): void => {
    const d = field(k);
    if (!d) return;
    findings.total(`${label(scope, s)} TxsSummry ${k}`, d.text);
    const declared = parseCount(d.text, `TxsSummry ${k}`, `line ${d.line}`);
    check(scope, s, 'TxsSummry', `TxsSummry ${k}`, d.line, String(declared), String(found), declared === found);
  };
  const sumCheck = (k: string, found: Dec, debit = false): void => {
    const d = field(k);
    if (!d) return;
    const declared = signAmount(parseXmlAmount(d.text, `TxsSummry ${k}`, `line ${d.line}`), debit);
    findings.total(`${label(scope, s)} TxsSummry ${k}`, declared.text);
    check(
      scope,
      s,
      'TxsSummry',
      `TxsSummry ${k}`,
      d.line,
      declared.text,
      formatDec(found),
      decEquals(declared.dec, found),
    );
  };
  countCheck('TtlNtries/NbOfNtries', s.entries);
  sumCheck('TtlNtries/Sum', s.absSum.get());
  const netKey = field('TtlNtries/TtlNetNtry/Amt') ? 'TtlNtries/TtlNetNtry/Amt' : 'TtlNtries/TtlNetNtryAmt';
  const netInd = field('TtlNtries/TtlNetNtry/CdtDbtInd') ?? field('TtlNtries/CdtDbtInd');
  // a summary with its signs given confirms every entry's sign: a debit read as a credit would change it
  if ((field(netKey) && netInd) || field('TtlCdtNtries/Sum') || field('TtlDbtNtries/Sum')) s.signsConfirmed.add('*');
  if (field(netKey))
    sumCheck(
      netKey,
      s.net.get(),
      debitIndicator(netInd?.text ?? 'CRDT', 'TxsSummry net CdtDbtInd', `line ${netInd?.line ?? 0}`),
    );
  countCheck('TtlCdtNtries/NbOfNtries', s.credit.count);
  sumCheck('TtlCdtNtries/Sum', s.credit.sum.get());
  countCheck('TtlDbtNtries/NbOfNtries', s.debit.count);
  sumCheck('TtlDbtNtries/Sum', s.debit.sum.get());
}
