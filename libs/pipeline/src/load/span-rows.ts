import { type LineBuffer, type SpannedRecord } from '@strongroom/connectors';
import { parseAmount, type Money } from '@strongroom/money';
import { type CanonicalTransaction } from '../types';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** A 32-bit hash of a key (FNV-1a over its UTF-16 code units: over an ASCII key's bytes, the same). */
export function keyHash(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/**
 * The positions of the rows whose txn_id an earlier row has, found by the keys' hashes in an open-addressing table
 * (a row mapped from its bytes makes no string for it); rows whose hashes are equal are compared by their keys.
 */
export function repeatedKeys(rows: readonly CanonicalTransaction[]): Set<number> {
  const repeats = new Set<number>();
  let size = 16;
  while (size < 2 * rows.length) size *= 2;
  const mask = size - 1;
  const hashes = new Uint32Array(size);
  const slots = new Int32Array(size); // position + 1 of the first row seen with a key; 0: empty
  for (let i = 0; i < rows.length; i++) {
    const t = rows[i] as CanonicalTransaction;
    const h = t instanceof SpanTxn ? t.keyHash() : keyHash(t.txnId);
    let at = h & mask;
    for (;;) {
      const j = (slots[at] as number) - 1;
      if (j < 0) {
        slots[at] = i + 1;
        hashes[at] = h;
        break;
      }
      if (hashes[at] === h && (rows[j] as CanonicalTransaction).txnId === t.txnId) {
        repeats.add(i);
        break;
      }
      at = (at + 1) & mask;
    }
  }
  return repeats;
}

/** Where each canonical field is in a record (CANONICAL_FIELDS order): its column, or -1 when the job maps none. */
export type SpanColumns = readonly number[];

// positions in CANONICAL_FIELDS
const TXN_ID = 0;
const ACCOUNT = 1;
const COUNTERPARTY_ACCOUNT = 2;
const COUNTERPARTY_NAME = 3;
const AMOUNT = 4;
const BOOKED_AT = 6;
const VALUE_DATE = 7;
const REFERENCE = 8;

/**
 * A row the transaction mapper validated on its record's bytes (mapSpanned in transaction-mapper.ts): each of its
 * values is its record's field exactly as written — the mapper took the record only when the string path would
 * give that field back unchanged — except an amount, booking time or currency the string path normalizes, which
 * the mapper normalized by the same function. Values are decoded from the record only when asked; the sink's line
 * and tuple are written from the bytes (writeColumns). Equal, field for field, to the row the string path maps.
 * Its values are getters: read them by name (a spread, JSON.stringify or structuredClone of a row does not copy
 * them). It keeps its record's read window alive until the row is let go.
 */
export class SpanTxn implements CanonicalTransaction {
  private money: Money | undefined;
  readonly recordNo: number;

  constructor(
    private readonly rec: SpannedRecord,
    private readonly cols: SpanColumns,
    readonly currency: string,
    readonly cardPanToken: string | null,
    readonly cardPanMasked: string | null,
    /** The amount as the string path normalizes it, when not written in that form (else read from the bytes). */
    private readonly normalizedAmount?: Money,
    /** The booking time as the string path normalizes it, when not written in that form. */
    private readonly normalizedBookedAt?: string,
  ) {
    this.recordNo = rec.recordNo;
  }

  get raw(): string {
    return this.rec.raw;
  }

  get txnId(): string {
    return this.value(TXN_ID) as string;
  }

  get account(): string {
    return this.value(ACCOUNT) as string;
  }

  get counterpartyAccount(): string | null {
    return this.value(COUNTERPARTY_ACCOUNT);
  }

  get counterpartyName(): string | null {
    return this.value(COUNTERPARTY_NAME);
  }

  get amount(): Money {
    if (this.normalizedAmount) return this.normalizedAmount;
    if (!this.money) {
      // written in the currency's normalized form: parseAmount gives it back with its minor units
      const m = parseAmount(this.value(AMOUNT) as string, this.currency);
      if (!m.ok) throw new Error(`not an amount: ${m.message}`); // the mapper took only amounts that parse
      this.money = m.value;
    }
    return this.money;
  }

  get bookedAt(): string {
    return this.normalizedBookedAt ?? (this.value(BOOKED_AT) as string);
  }

  get valueDate(): string | null {
    return this.value(VALUE_DATE);
  }

  get reference(): string | null {
    return this.value(REFERENCE);
  }

  /** keyHash of the row's txn_id, from its bytes when the record is ASCII (no string made). */
  keyHash(): number {
    const col = this.cols[TXN_ID] as number;
    if (!this.rec.ascii) return keyHash(this.txnId);
    const buf = this.rec.bytes;
    let h = FNV_OFFSET;
    for (let i = this.rec.fieldStart(col), end = this.rec.fieldEnd(col); i < end; i++)
      h = Math.imul(h ^ (buf[i] as number), FNV_PRIME);
    return h >>> 0;
  }

  /**
   * Writes the row's columns after source_system — txn_id … card_pan_masked, as sinkLines writes them for any row
   * — to the canonical line and the COPY tuple, from the record's bytes.
   */
  writeColumns(line: LineBuffer, tuple: LineBuffer): void {
    this.column(TXN_ID, 'text', line, tuple);
    this.column(ACCOUNT, 'text', line, tuple);
    this.column(COUNTERPARTY_ACCOUNT, 'text', line, tuple);
    this.column(COUNTERPARTY_NAME, 'text', line, tuple);
    if (this.normalizedAmount) line.columnPair(this.normalizedAmount.decimal, 'numeric', tuple);
    else this.column(AMOUNT, 'numeric', line, tuple);
    line.columnPair(this.currency, 'text', tuple);
    if (this.normalizedBookedAt !== undefined) line.columnPair(this.normalizedBookedAt, 'timestamptz', tuple);
    else this.column(BOOKED_AT, 'timestamptz', line, tuple);
    this.column(VALUE_DATE, 'date', line, tuple);
    this.column(REFERENCE, 'text', line, tuple);
    line.columnPair(this.cardPanToken, 'text', tuple);
    line.columnPair(this.cardPanMasked, 'text', tuple);
  }

  private column(k: number, kind: 'text' | 'numeric' | 'timestamptz' | 'date', line: LineBuffer, tuple: LineBuffer) {
    const col = this.cols[k] as number;
    const from = col < 0 ? 0 : this.rec.fieldStart(col);
    const to = col < 0 ? 0 : this.rec.fieldEnd(col);
    if (from === to) line.columnPair(null, kind, tuple);
    else line.columnPairBytes(this.rec.bytes, from, to, kind, tuple, this.rec.fieldEscaped(col));
  }

  /**
   * Canonical field `k`: null when unmapped or empty, else the record's field as it is — decoded from its own bytes
   * (valid UTF-8 on their own: a field starts and ends at ASCII bytes), not kept: the load path asks for a value or
   * two of a row (the key, the amount), and the AML checks for a few once each.
   */
  private value(k: number): string | null {
    const col = this.cols[k] as number;
    if (col < 0) return null;
    const from = this.rec.fieldStart(col);
    const to = this.rec.fieldEnd(col);
    if (from === to) return null;
    const text = this.rec.bytes.toString(this.rec.ascii ? 'latin1' : 'utf8', from, to);
    return this.rec.fieldEscaped(col) ? text.replaceAll('""', '"') : text;
  }
}
