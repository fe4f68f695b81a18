/**
 * The camt reader's state, shared by the entry mapping (iso20022-camt.ts) and the control-total
 * checks (iso20022-camt-checks.ts): what a statement (Rpt / Stmt / Ntfctn), its balances, an entry
 * (Ntry) and an entry's batch group (NtryDtls / Btch) keep while the document streams past, and the
 * functions that start each one empty.
 *
 * Terms: a statement is one Rpt (camt.052), Stmt (camt.053) or Ntfctn (camt.054); an entry is one
 * Ntry and becomes one BankEntry; a group is one NtryDtls (or, in camt.05x.001.01, the Btch/TxDtls
 * directly under Ntry) and its TxDtls are the transactions itemising a batch.
 */
import { DecimalSum, type Dec } from '@strongroom/money';
import { type Findings } from './findings';
import { SeenKeys, type UnstatedSign } from './iso20022-xml';

export type Camt = 'camt052' | 'camt053' | 'camt054';

/** The statement element of each camt message, and the name under which it is counted. */
export const STATEMENT: Record<Camt, { tag: string; counted: string }> = {
  camt052: { tag: 'Rpt', counted: 'reports' },
  camt053: { tag: 'Stmt', counted: 'statements' },
  camt054: { tag: 'Ntfctn', counted: 'notifications' },
};

export interface Balance {
  code: string;
  amount: { text: string; dec: Dec };
  ccy: string;
  date: string | null;
  line: number;
  /** Lenient: no CdtDbtInd and no sign written — read as credit, so it confirms no entry's sign. */
  assumed?: boolean;
}

export interface Booked {
  sum: DecimalSum;
  /** Booked amounts by value date, for the forward-value convention (bounded by distinct dates). */
  byValueDate: Map<string, { sum: DecimalSum; count: number }>;
}

export interface Statement {
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
  /** AcctSvcrRefs seen in this statement (the one piece of state that grows with its entries, to a cap). */
  refs: SeenKeys;
  checks: number;
  /**
   * Lenient, booked entries without CdtDbtInd nor a written sign, read as credit, per currency (their count,
   * and their amounts up to MAX_UNSIGNED): a control total must confirm them — a direct balance check in
   * their currency under which reading them as credits is the only reading that balances, or a transaction
   * summary with its signs — or the statement is refused.
   */
  unsignedCredits: Map<string, { count: number; amounts: Dec[] }>;
  /** Currencies whose booked entries a balance check confirmed ('*': a summary with signs covered all). */
  signsConfirmed: Set<string>;
}

export interface Group {
  index: number;
  nbOfTxs: { text: string; line: number } | null;
  ttlAmt: { text: string; line: number } | null;
  txCount: number;
  txSum: DecimalSum;
  allAmounts: boolean;
  tx: { amt: string | null; amtDtls: string | null; line: number } | null;
}

export interface Entry {
  index: number;
  line: number;
  fields: Map<string, string>;
  ccy: string | null;
  ustrd: string[];
  txSeen: number;
  groups: number;
  group: Group | null;
}

/** What the statement-level functions are given: the statement element's name and where findings go. */
export interface CamtScope {
  tag: string;
  findings: Findings;
  /** strictness: lenient (camt.053): a missing CdtDbtInd where the sign is otherwise given. */
  lenient?: boolean;
  /** Lenient readings of amounts without CdtDbtInd, by how they were signed. */
  unsigned?: Record<UnstatedSign, number>;
}

/** A statement as findings name it by position: `Stmt[2]`. */
export function label(scope: CamtScope, s: Statement): string {
  return `${scope.tag}[${s.index}]`;
}

/** A statement as warnings name it, by position and Id: `Stmt[2] (Id 123)`. */
export function named(scope: CamtScope, s: Statement): string {
  return `${label(scope, s)} (Id ${s.id ?? '?'})`;
}

/** A statement opened at its start tag, with no balances, entries or totals yet. */
export function newStatement(index: number): Statement {
  return {
    index,
    id: null,
    creDtTm: null,
    account: null,
    balances: [],
    draft: null,
    summary: new Map(),
    entries: 0,
    absSum: new DecimalSum(),
    net: new DecimalSum(),
    credit: { count: 0, sum: new DecimalSum() },
    debit: { count: 0, sum: new DecimalSum() },
    booked: new Map(),
    refs: new SeenKeys(),
    checks: 0,
    unsignedCredits: new Map(),
    signsConfirmed: new Set(),
  };
}

/** An entry opened at its Ntry start tag (on the given line), with no fields yet. */
export function newEntry(index: number, line: number): Entry {
  return { index, line, fields: new Map(), ccy: null, ustrd: [], txSeen: 0, groups: 0, group: null };
}

/** Opens the entry's next batch group (NtryDtls, or a Btch / TxDtls directly under Ntry) and makes it current. */
export function openGroup(e: Entry): Group {
  e.group = {
    index: ++e.groups,
    nbOfTxs: null,
    ttlAmt: null,
    txCount: 0,
    txSum: new DecimalSum(),
    allAmounts: true,
    tx: null,
  };
  return e.group;
}
