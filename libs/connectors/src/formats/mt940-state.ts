/**
 * The state the MT940/MT942 reader keeps while it streams: the open statement (its balances, totals
 * and fields seen), the field being read, the entry waiting for its `:86:` fields, and the file-wide
 * counts and findings (checks, warnings, control totals; bounded). Only shapes and their empty values;
 * the reader in `mt940.ts` fills them.
 */

import { ZERO, type Dec } from '@strongroom/money';
import { Findings } from './findings';
import { type PendingEntry } from './mt940-entry';
import { type Balance, type Declared90 } from './mt940-fields';
import { type Field } from './mt940-lines';
import { type BankEntry } from './types';

/** Accounts (and currencies) whose last closing balance is kept for the chained-statement warning. */
export const MAX_CHAINED_ACCOUNTS = 10_000;

export interface Tally {
  count: number;
  sum: Dec;
}

export interface Statement {
  no: number;
  ref: string;
  /** "statement 3 (:20: REF)" */
  name: string;
  account?: string;
  seq?: string;
  opening?: Balance;
  closing?: Balance;
  floorCurrency?: string;
  dateTime?: string;
  d90?: Declared90;
  c90?: Declared90;
  /** First line of each non-repeatable field, by group. */
  seen: Map<string, number>;
  entries: number;
  net: Dec;
  debits: Tally;
  credits: Tally;
}

export interface ReadState {
  stmt?: Statement;
  field?: Field;
  pending?: PendingEntry;
  ready: BankEntry[];
  statements: number;
  mt940: number;
  mt942: number;
  entries: number;
  credits: number;
  debits: number;
  /**
   * Closing balance of the last statement per account and currency (chained-statement warning), for
   * at most {@link MAX_CHAINED_ACCOUNTS} of them; `chainsFull` once a further one was not tracked.
   */
  lastClosing: Map<string, { no: number; amount: Dec }>;
  chainsFull: boolean;
  findings: Findings;
  lines: number;
  ignored?: string;
  /** strictness: lenient — format-rule slips that cannot change an amount become warnings. */
  lenient: boolean;
  /** Lenient: DOS end-of-file marks (Ctrl-Z) dropped between concatenated statements. */
  eofMarks: number;
  /** Lenient: statement lines :61: read without their transaction type. */
  untyped: number;
}

/** The state before the first line. */
export function newReadState(): ReadState {
  return {
    ready: [],
    statements: 0,
    mt940: 0,
    mt942: 0,
    entries: 0,
    credits: 0,
    debits: 0,
    lastClosing: new Map(),
    chainsFull: false,
    findings: new Findings(),
    lines: 0,
    lenient: false,
    eofMarks: 0,
    untyped: 0,
  };
}

/** Statement number `no` (1-based in the file), opened by `:20: ref`, before any other field. */
export function newStatement(no: number, ref: string): Statement {
  return {
    no,
    ref,
    name: `statement ${no} (:20: ${ref})`,
    seen: new Map(),
    entries: 0,
    net: ZERO,
    debits: { count: 0, sum: ZERO },
    credits: { count: 0, sum: ZERO },
  };
}
