import { addDec, decEquals, formatDec, type Dec } from '@strongroom/money';
import { type Balance } from './mt940-fields';
import { MAX_CHAINED_ACCOUNTS, type ReadState, type Statement } from './mt940-state';
import { FormatError } from './types';

// The checks a finished MT940/MT942 statement must pass: opening + Σ entries = closing (and the chain of
// closing → next opening balances per account), and an MT942's declared :90D:/:90C: counts and sums.

/** MT942: the number and sum of debit and credit entries declared in :90D:/:90C: against those read. */
export function checkDeclared90(st: ReadState, s: Statement, currency: string): void {
  for (const [d, tally, kind] of [
    [s.d90, s.debits, 'debit entries (D, RC)'],
    [s.c90, s.credits, 'credit entries (C, RD)'],
  ] as const) {
    if (!d) continue;
    if (d.currency !== currency)
      throw new FormatError(
        `${s.name}: :${d.tag}: is in ${d.currency} but the statement is in ${currency}`,
        `line ${d.line}`,
      );
    const label = `${s.name}: :${d.tag}:`;
    const { findings } = st;
    findings.total(`${label} number of ${kind}`, String(d.count));
    findings.total(`${label} sum of ${kind} ${currency}`, formatDec(d.amount));
    findings.check(`MT942 :${d.tag}:`, {
      name: `${label} number of ${kind}`,
      location: `line ${d.line}`,
      expected: String(d.count),
      found: String(tally.count),
      ok: d.count === tally.count,
    });
    findings.check(`MT942 :${d.tag}:`, {
      name: `${label} sum of ${kind} (${currency})`,
      location: `line ${d.line}`,
      expected: formatDec(d.amount),
      found: formatAt(tally.sum, d.amount),
      ok: decEquals(d.amount, tally.sum),
    });
  }
}

export function checkBalances(st: ReadState, s: Statement, opening: Balance, closing: Balance): void {
  const ccy = opening.currency;
  const found = addDec(opening.amount, s.net);
  st.findings.total(`${s.name} opening ${ccy}`, formatDec(opening.amount));
  st.findings.total(`${s.name} closing ${ccy}`, formatDec(closing.amount));
  st.findings.check('statement balance', {
    name: `${s.name}: opening :${opening.tag}: + ${s.entries} statement lines :61: = closing :${closing.tag}: (${ccy})`,
    location: `line ${closing.line}`,
    expected: formatDec(closing.amount),
    found: formatAt(found, closing.amount),
    ok: decEquals(found, closing.amount),
  });
  const key = `${s.account}\u0000${ccy}`;
  const prev = st.lastClosing.get(key);
  if (prev && !decEquals(prev.amount, opening.amount)) {
    st.findings.warn(
      `statement ${s.no} opens at ${formatDec(opening.amount)} ${ccy} but statement ${prev.no} closed at ${formatDec(prev.amount)} ${ccy}: a statement may be missing`,
    );
  }
  if (prev || st.lastClosing.size < MAX_CHAINED_ACCOUNTS) st.lastClosing.set(key, { no: s.no, amount: closing.amount });
  else if (!st.chainsFull) {
    st.chainsFull = true;
    st.findings.warn(
      `statement ${s.no}: more than ${MAX_CHAINED_ACCOUNTS} accounts: the statements of accounts first seen from here on are not checked for a statement missing in between`,
    );
  }
}

/** A computed total at (at least) the scale of the declared one it is compared with: "0" → "0.00". */
function formatAt(computed: Dec, declared: Dec): string {
  return formatDec(addDec(computed, { units: 0n, scale: declared.scale }));
}
