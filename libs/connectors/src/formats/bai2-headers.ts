/**
 * The BAI2 headers: the 01 file header, the 02 group header and the 03 account identifier (with its
 * summaries), each read from a logical record into the reader state, opening the file, a group or an
 * account.
 */
import { amountValue, checkTime, countField, currencyCode, fundsType, isoDate } from './bai2-fields';
import { fields, type PhysicalRecord } from './bai2-records';
import { scope, warn, type Account, type Group, type ReaderState } from './bai2-state';
import { currencyExponent } from '@strongroom/money';
import { GROUP_STATUS } from './bai2-type-codes';
import { FormatError } from './types';

/** 01: checks the header and opens the file. */
export function fileHeader(st: ReaderState, recs: PhysicalRecord[]) {
  const f = fields(recs);
  const loc = `line ${recs[0]?.line} (01 file header)`;
  isoDate(f[2] ?? '', 'creation date', loc);
  const time = f[3] ?? '';
  if (/^\d\d:\d\d(:\d\d)?$/.test(time))
    warn(st, `${loc}: creation time "${time}" is not HHMM; accepted (the time is not used)`);
  else checkTime(time, 'creation time', loc);
  countField(f[5] ?? '', 'physical record length', loc);
  countField(f[6] ?? '', 'block size', loc);
  const version = f[7] ?? '';
  if (version !== '2') throw new FormatError(`version "${version}" is not supported: expected 2`, loc);
  st.version = version;
  st.file = scope(recs[0]?.line ?? 0, recs.length);
  st.phase = 'file';
}

/** 02: opens a group (its as-of date and default currency). */
export function groupHeader(st: ReaderState, recs: PhysicalRecord[]) {
  const f = fields(recs);
  const index = ++st.counts.groups;
  const loc = `line ${recs[0]?.line} (02 group header, group ${index})`;
  const status = f[2] ?? '';
  if (status !== '1')
    warn(
      st,
      `${loc}: group status "${status}" (${GROUP_STATUS[status] ?? 'not a BAI2 status'}); its details are read like any other`,
    );
  const asOf = f[3] ?? '';
  const asOfIso = isoDate(asOf, 'as-of date', loc);
  checkTime(f[4] ?? '', 'as-of time', loc);
  const currency = currencyCode(f[5] ?? '', 'USD', loc);
  st.group = { ...scope(recs[0]?.line ?? 0, recs.length), index, asOf, asOfIso, currency, accounts: new Map() };
  st.file.children++;
  st.phase = 'group';
}

/** 03: opens an account; the amounts of its summaries go into its total. */
export function accountHeader(st: ReaderState, recs: PhysicalRecord[]) {
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
  const uses = group.accounts.get(number) ?? { blocks: 0, details: 0 };
  group.accounts.set(number, uses);
  uses.blocks++;
  const account: Account = {
    ...scope(line, recs.length),
    number,
    name: `${group.index > 1 ? `group ${group.index} ` : ''}account ${number}${uses.blocks > 1 ? ` #${uses.blocks}` : ''}`,
    currency,
    decimals: currencyExponent(currency) ?? 2,
    uses,
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
    if (type !== '' && !/^\d{3}$/.test(type))
      throw new FormatError(`summary type code "${type}" is not a 3-digit number`, loc);
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
