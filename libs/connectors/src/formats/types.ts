/**
 * The shared shape of the bank-format readers (ACH, ISO 20022 camt/pain, MT940/942, BAI2).
 *
 * A reader is an async generator over the file's bytes: it yields one {@link BankEntry} per
 * transaction in file order, holding only running totals (memory independent of file size), and
 * returns a {@link FormatSummary} with the control totals the file declares and the checks of those
 * totals against the entries it read. A file whose structure cannot be read throws a
 * {@link FormatError} naming where. Whether the file is accepted is decided by the caller
 * (`inspect.ts`): every check must pass, and nothing may be published before that.
 */

export const BANK_FORMATS = ['ach', 'camt052', 'camt053', 'camt054', 'pain001', 'mt940', 'mt942', 'bai2'] as const;
export type BankFormat = (typeof BANK_FORMATS)[number];

/** Reasons a bank entry is read but not loaded (counted as filtered, I1). */
export type EntryFilter = 'NOT_BOOKED';

/** One transaction in canonical form, as text (validated afterwards by the transaction mapper). */
export interface BankEntry {
  /** Business key from the format's own identifiers; the same file always gives the same keys. */
  txnId: string;
  /** The account the entry is booked on (IBAN, account number, or routing:account). */
  account: string;
  counterpartyAccount: string | null;
  counterpartyName: string | null;
  /** Signed decimal string with "." (credit to `account` positive, debit negative), digits as in the file. */
  amount: string;
  /** ISO 4217. */
  currency: string;
  /** ISO 8601 date (YYYY-MM-DD) or timestamp. */
  bookedAt: string;
  /** ISO 8601 date or null. */
  valueDate: string | null;
  reference: string | null;
  /** The entry's source text (its record(s) or element), for the dead-letter queue; at most 64 KiB. */
  raw: string;
  /** Where the entry is in the file, e.g. "line 12" or "Stmt[1]/Ntry[3] (line 40)". */
  location: string;
  /** Set when the entry is not to be loaded; it is then counted as filtered with this reason. */
  filter?: EntryFilter;
}

/** One control total of the file compared with what the reader computed from the entries. */
export interface ControlCheck {
  /** What is checked, e.g. "batch 0000001 entry hash" or "statement 12/1 (EUR) closing balance". */
  name: string;
  /** Where the declared total is, e.g. "line 14 (batch control, record 8)". */
  location: string;
  /** As declared in the file. */
  expected: string;
  /** As computed from the file's entries. */
  found: string;
  ok: boolean;
}

export interface FormatSummary {
  format: BankFormat;
  /** Schema version or variant, e.g. "camt.053.001.02", "pain.001.003.03", "NACHA". */
  version: string | null;
  /** Text encoding the file was read with ("utf-8", "windows-1252", or what the XML declares). */
  encoding: string;
  /** Counts by kind, e.g. { batches: 2, entries: 10, addenda: 3 } or { statements: 1, entries: 5 }. */
  counts: Record<string, number>;
  /** Control totals as declared in the file, keyed by a readable name, e.g. { "file total debit": "12.34" }. */
  controlTotals: Record<string, string>;
  checks: ControlCheck[];
  /** Things worth knowing that do not fail the file, e.g. "statement 7: no closing balance; balance not checked". */
  warnings: string[];
}

/** The file's structure or a field breaks the format's rules: the whole file is rejected. */
export class FormatError extends Error {
  constructor(
    message: string,
    /** Where, e.g. "line 7" or "Stmt[2]/Ntry[1]". */
    readonly location: string,
  ) {
    super(`${location}: ${message}`);
    this.name = 'FormatError';
  }
}

/** A reader: the file's bytes in, entries out, the summary as the generator's return value. */
export type FormatReader = (input: AsyncIterable<Buffer>) => AsyncGenerator<BankEntry, FormatSummary, void>;

/** Longest raw text kept for one entry. */
export const MAX_RAW_CHARS = 64 * 1024;
