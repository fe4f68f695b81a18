/**
 * The state of the BAI2 reader (bai2.ts) while it reads a file: where it is in the 01 … 99 nesting, the
 * file, group and account open now with their running totals and record counts, and the warnings.
 */
import { type ControlCheck } from './types';

/** Warnings kept; the rest are only counted (a line says how many were left out). */
const MAX_WARNINGS = 100;

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
export interface Group extends Scope {
  index: number;
  asOf: string;
  asOfIso: string;
  currency: string;
}
export interface Account extends Scope {
  number: string;
  /** "account 123", or "account 123 #2" when the number was reported before in the file. */
  name: string;
  currency: string;
  decimals: number;
}

export interface ReaderState {
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

/** A scope opening at `line` with `records` records so far and nothing summed yet. */
export function scope(line: number, records: number): Scope {
  return { line, records, wraps: 0, total: 0n, hasAmounts: false, children: 0 };
}

export function warn(st: ReaderState, message: string) {
  if (st.warnings.length < MAX_WARNINGS) st.warnings.push(message);
  else st.warningsLeftOut++;
}
