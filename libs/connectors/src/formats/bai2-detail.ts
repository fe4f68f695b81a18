/**
 * The BAI2 16 transaction detail (with its 88 continuations): read into one entry, its amount added
 * to the open account.
 *
 * Entry keys: `${as-of date YYMMDD}/${account}/${bank reference}`, or `…/#n` without a reference, n
 * counting the details of that account number in its group (an account reported twice in a group, as
 * in sample1, must not give the same keys twice). The count is kept per group only (memory bounded by
 * one group's accounts): the same account number on the same as-of date in two groups of one file
 * would number both from #1.
 *
 * The amount is unsigned, as BAI2 writes detail amounts: the type code gives the direction. A signed
 * amount fails the file (applying the sign on top of the type code's direction, or ignoring it, would
 * each book some file's money the wrong way).
 */
import { formatDec, fromMinor } from '@strongroom/money';
import { amountValue, fundsType } from './bai2-fields';
import { type PhysicalRecord } from './bai2-records';
import { warn, type Account, type Group, type ReaderState } from './bai2-state';
import { detailDirection, noDirection } from './bai2-type-codes';
import { FormatError, MAX_RAW_CHARS, type BankEntry } from './types';

export function detail(st: ReaderState, recs: PhysicalRecord[]): BankEntry {
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
  if (!/^\d{3}$/.test(type))
    throw new FormatError(type ? `type code "${type}" is not a 3-digit number` : 'the type code is missing', loc);
  const direction = detailDirection(Number(type));
  if (direction === null)
    throw new FormatError(
      `type code ${type} is ${noDirection(Number(type))}, with no debit or credit direction; expected a transaction type code`,
      loc,
    );
  const amountText = field() ?? '';
  const units = amountText === '' ? 0n : amountValue(amountText, 'amount', loc);
  if (amountText === '' && direction !== 0) warn(st, `${loc}: the amount is blank; read as 0`);
  if (/^[+-]/.test(amountText))
    throw new FormatError(
      `amount "${amountText}" is signed: BAI2 detail amounts carry no sign; the type code ${type} gives the direction`,
      loc,
    );
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
  const n = ++account.uses.details;
  const reference = [customerRef, ...text].filter((s) => s !== '').join(' ');
  const entry: BankEntry = {
    txnId: `${group.asOf}/${account.number}/${bankRef || `#${n}`}`,
    account: account.number,
    counterpartyAccount: null,
    counterpartyName: null,
    amount: formatDec(fromMinor(direction === -1 ? -units : units, account.decimals)),
    currency: account.currency,
    bookedAt: group.asOfIso,
    valueDate,
    reference: reference || null,
    raw: recs
      .map((r) => r.source)
      .join('\n')
      .slice(0, MAX_RAW_CHARS),
    location: loc,
  };
  if (direction === 0) entry.filter = 'NOT_BOOKED';
  return entry;
}
