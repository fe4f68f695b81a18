/**
 * The state of the BAI2 reader (bai2.ts) while it reads a file: where it is in the 01 … 99 nesting, the
 * file, group and account open now with their running totals and record counts, and the findings
 * (checks, warnings, control totals; bounded, see findings.ts). Nothing here grows with the file: a
 * closed account or group is dropped, and the one map (the accounts of the open group) goes with its
 * group at the 98.
 */
import { type Findings } from './findings';

export type Phase = 'start' | 'file' | 'group' | 'account' | 'end';

/** The file, a group or an account while it is open. */
export interface Scope {
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

/** An account number within the open group: how many 03 blocks it had so far, and how many 16 details. */
export interface AccountUses {
  blocks: number;
  details: number;
}

export interface Group extends Scope {
  index: number;
  asOf: string;
  asOfIso: string;
  currency: string;
  /**
   * Per account number of this group: its blocks (the "#2" of an account reported again) and details
   * (the `#n` of keys without a bank reference). Scoped to the group, so bounded by its accounts: the
   * numbering goes on across blocks of one account number in a group, and starts again in the next.
   */
  accounts: Map<string, AccountUses>;
}
export interface Account extends Scope {
  number: string;
  /**
   * "account 123"; "account 123 #2" when the number was reported before in the group; from the
   * second group on, "group 2 account 123" (names of control totals and checks stay unique).
   */
  name: string;
  currency: string;
  decimals: number;
  /** The account number's entry in its group's `accounts`. */
  uses: AccountUses;
}

export interface ReaderState {
  phase: Phase;
  version: string | null;
  file: Scope;
  group: Group | null;
  account: Account | null;
  counts: { groups: number; accounts: number; details: number; continuations: number };
  findings: Findings;
  /** The 99's declared total, set at the 99: kept apart from the capped control totals of `findings`, so even a file of many accounts reports it. */
  fileTotal: string | null;
  lastLine: number;
}

/** A scope opening at `line` with `records` records so far and nothing summed yet. */
export function scope(line: number, records: number): Scope {
  return { line, records, wraps: 0, total: 0n, hasAmounts: false, children: 0 };
}

export function warn(st: ReaderState, message: string) {
  st.findings.warn(message);
}
