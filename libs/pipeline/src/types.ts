/**
 * Terminology of the run engine.
 *
 * - **Job**: a named, versioned, declarative definition (source → transforms → sink). A changed
 *   definition is a new version; runs record the version they used.
 * - **Run**: one execution of a job version over one source file (identified by its SHA-256).
 *   PENDING → RUNNING ⇄ PAUSED → SUCCEEDED | FAILED | CANCELLED.
 * - **Record**: one unit read from the source (a CSV data row). Every record read ends up
 *   **loaded**, **dead-lettered** (with a reason code) or **filtered** (with a reason), and
 *   read = loaded + dead_lettered + filtered (I1).
 * - **Batch**: consecutive records committed in one PostgreSQL transaction together with the
 *   run's counters, its checkpoint and its integrity row. Its size adapts toward a target commit time.
 * - **Checkpoint**: the position after the last committed batch (records read, byte offset).
 * - **Business key**: (source_system, txn_id). A second record with the same key in one run is
 *   dead-lettered as DUPLICATE_KEY; a record whose key an earlier run loaded with identical content
 *   is filtered as ALREADY_LOADED, with different content dead-lettered as KEY_CONFLICT.
 */
import { type EntryFilter } from '@strongroom/connectors';
import { type Money } from '@strongroom/money';

/** A validated record in canonical form, ready for the sink. */
export interface CanonicalTransaction {
  recordNo: number;
  /** The source text (unmasked, in memory only; masked before it is dead-lettered). */
  raw: string;
  txnId: string;
  account: string;
  counterpartyAccount: string | null;
  counterpartyName: string | null;
  amount: Money;
  currency: string;
  /** UTC ISO timestamp. */
  bookedAt: string;
  valueDate: string | null;
  reference: string | null;
  cardPanToken: string | null;
  cardPanMasked: string | null;
  /** How many of txn_id, account and counterparty_account held card data and were stored as tokens. */
  identifiersTokenized?: number;
}

/** Stable reason codes for dead-lettered records (docs/error-catalogue.md §2). */
export const REJECT_CODES = [
  'MALFORMED_QUOTES',
  'MALFORMED_JSON',
  'INVALID_ENCODING',
  'RECORD_TOO_LONG',
  'INVALID_CHARACTERS',
  'FIELD_COUNT_MISMATCH',
  'MISSING_FIELD',
  'FIELD_TOO_LONG',
  'INVALID_AMOUNT',
  'AMOUNT_SCALE',
  'INVALID_CURRENCY',
  'INVALID_TIMESTAMP',
  'INVALID_DATE',
  'INVALID_PAN',
  'DUPLICATE_KEY',
  'KEY_CONFLICT',
  'LOAD_REJECTED',
  'KYC_HOLD',
  'INVALID_STATUS',
  'INVALID_RISK_LEVEL',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

/** A record that will be dead-lettered; `raw` has every card number masked. */
export interface Rejection {
  recordNo: number;
  raw: string;
  code: RejectCode;
  message: string;
  field: string | null;
}

/** Reasons for filtering a record without loading it (docs/error-catalogue.md §3). */
export const FILTER_REASONS = ['ALREADY_LOADED', 'NOT_BOOKED', 'SUPERSEDED'] as const;
export type FilterReason = (typeof FILTER_REASONS)[number];
/**
 * Compile-time check: every reason a bank reader filters an entry with is one of FILTER_REASONS (the list the
 * error catalogue is held to), so a new reader's reason cannot be left out of both.
 */
export type EntryFiltersAreFilterReasons = EntryFilter extends FilterReason ? true : never;
export const ENTRY_FILTERS_ARE_FILTER_REASONS: EntryFiltersAreFilterReasons = true;

/** Live progress of a run, as persisted after each batch. */
export interface RunProgress {
  read: number;
  loaded: number;
  deadLettered: number;
  filtered: number;
  filteredByReason: Record<string, number>;
  bytesRead: number;
  batchesCommitted: number;
}
