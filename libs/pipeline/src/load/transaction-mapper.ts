import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { maskPan, maskPansInText, type PanProtector } from '@strongroom/compliance';
import { clearOfCardDataAt, digitsOnly } from '@strongroom/logging';
import { SpannedRecord, type SourceRecord } from '@strongroom/connectors';
import {
  currencyAt,
  currencyExponent,
  isCanonicalAmountAt,
  isCanonicalTimestampAt,
  isCurrency,
  isDateAt,
  parseAmount,
  parseDate,
  parseTimestamp,
  type Money,
} from '@strongroom/money';
import { CANONICAL_FIELDS, type CanonicalField } from '../jobs/job-definition';
import { type CanonicalTransaction, type Rejection, type RejectCode } from '../types';
import { SpanTxn } from './span-rows';

const MAX_LENGTH: Record<CanonicalField, number> = {
  txn_id: 128,
  account: 64,
  counterparty_account: 64,
  counterparty_name: 256,
  amount: 40,
  currency: 3,
  booked_at: 40,
  value_date: 10,
  reference: 1024,
  card_pan: 23,
};

/** Fields kept exactly as given (not trimmed); tab, CR and LF are allowed in them. */
const FREE_TEXT = new Set<CanonicalField>(['counterparty_name', 'reference']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Each canonical field's position in CANONICAL_FIELDS. */
const AT = Object.fromEntries(CANONICAL_FIELDS.map((f, i) => [f, i])) as Record<CanonicalField, number>;
/** A field's value among a record's values (kept in CANONICAL_FIELDS order). */
const valueOf = (values: readonly (string | null)[], f: CanonicalField) => values[AT[f]] as string | null;

/** Identifiers: a card number inside one is replaced by its token. */
const IDENTIFIERS = new Set<CanonicalField>(['txn_id', 'account', 'counterparty_account']);

/** Fields every record must have. */
const REQUIRED = ['txn_id', 'account', 'amount', 'currency', 'booked_at'] as const;

const READER_CODES = new Set<RejectCode>(['MALFORMED_QUOTES', 'INVALID_ENCODING', 'RECORD_TOO_LONG', 'MALFORMED_JSON']);
/** A reader's error code as a dead-letter reason (an unknown one, from a newer reader, as MALFORMED_QUOTES). */
function readerCode(code: string): RejectCode {
  return READER_CODES.has(code as RejectCode) ? (code as RejectCode) : 'MALFORMED_QUOTES';
}

export type MapResult = { ok: true; txn: CanonicalTransaction } | { ok: false; rejection: Rejection };

export interface TransactionMapper {
  map(record: SourceRecord): MapResult;
}

/**
 * Builds the mapper from a CSV header and the job's mapping. A mapped column missing from the
 * header fails the whole source (SOURCE_MALFORMED) before any record is read.
 */
export function createTransactionMapper(
  header: readonly string[],
  mapping: Partial<Record<CanonicalField, string>>,
  pan: PanProtector,
  /** Fields the job declares as never card data (compliance.notCardData): stored as they are. */
  notCardData: readonly CanonicalField[] = [],
): TransactionMapper {
  const cardFree = new Set(notCardData);
  // identifiers: a card number inside becomes its token (distinct ids stay distinct keys); texts: masked
  let tokenized = 0; // per record: identifiers whose value changed into a token
  const identifier = (f: CanonicalField, v: string) => {
    if (cardFree.has(f)) return v;
    const t = pan.tokenizeInText(v);
    if (t !== v) tokenized++;
    return t;
  };
  const text = (f: CanonicalField, v: string | null) => (v === null || cardFree.has(f) ? v : maskPansInText(v));
  const index = new Map<CanonicalField, number>();
  const missing: string[] = [];
  for (const field of CANONICAL_FIELDS) {
    const column = mapping[field];
    if (column === undefined) continue;
    const i = header.indexOf(column);
    if (i < 0) missing.push(`${column} (for ${field})`);
    else if (header.indexOf(column, i + 1) >= 0) missing.push(`${column} (for ${field}: appears twice)`);
    else index.set(field, i);
  }
  if (missing.length) {
    throw new StrongroomError(
      ErrorCode.SOURCE_MALFORMED,
      `CSV header lacks mapped column(s): ${missing.join(', ')} (the first line of the file must name the columns)`,
    );
  }
  const width = header.length;
  // per canonical field, decided once: its column, whether it is free text, its limit and control-character test
  const plan = CANONICAL_FIELDS.map((f) => ({
    f,
    column: index.get(f),
    free: FREE_TEXT.has(f),
    max: MAX_LENGTH[f],
    control: FREE_TEXT.has(f) ? CONTROL_IN_TEXT : CONTROL,
  }));
  const values = new Array<string | null>(plan.length).fill(null);
  const cardColumn = index.get('card_pan');
  // the declared card field of a rejected record is masked in its raw text whatever it looks like (a value
  // that fails the card checks is still what someone typed as a card number)
  const rawOf = (record: SourceRecord): string => {
    const v = cardColumn === undefined ? undefined : record.fields[cardColumn]?.trim();
    const digits = v ? digitsOnly(v) : undefined;
    const raw = v && digits && digits.length >= 8 ? record.raw.split(v).join(maskPan(digits)) : record.raw;
    return maskPansInText(raw);
  };
  const reject = (record: SourceRecord, code: RejectCode, message: string, field: string | null = null): MapResult => ({
    ok: false,
    rejection: {
      recordNo: record.recordNo,
      raw: rawOf(record),
      code,
      message: maskPansInText(message),
      field,
    },
  });

  // the fast path: a record parsed cleanly is validated on its bytes. It maps it only when every field is one the
  // string path below gives back exactly as written (nothing to trim, no control character, no card data, a date in
  // its one form) or normalizes by the same function (the currency upper-cased, an amount or a booking time in another
  // form the string path accepts); any other record — including every one the string path rejects — goes the string
  // path. So both paths give the same row for the records it takes.
  const cols = plan.map((p) => p.column ?? -1);
  const required = plan.map((p) => (REQUIRED as readonly string[]).includes(p.f));
  const checked = plan.map((p) => !cardFree.has(p.f) && (IDENTIFIERS.has(p.f) || p.free));
  const mapSpanned = (rec: SpannedRecord): SpanTxn | undefined => {
    if (rec.fieldCount !== width) return undefined;
    const buf = rec.bytes;
    let currency: string | undefined;
    let cardPanToken: string | null = null;
    let cardPanMasked: string | null = null;
    let amountAscii = false;
    let bookedAt: string | undefined; // normalized, when not written in its canonical form
    for (let k = 0; k < plan.length; k++) {
      const col = cols[k] as number;
      if (col < 0) {
        if (required[k]) return undefined;
        continue;
      }
      const s = rec.fieldStart(col);
      const e = rec.fieldEnd(col);
      const p = plan[k] as (typeof plan)[number];
      // doubled quotes: only in free text (its value is the bytes with each pair of quotes as one)
      if (!p.free && rec.fieldEscaped(col)) return undefined;
      if (s === e) {
        if (required[k]) return undefined;
        continue;
      }
      if (e - s > p.max) return undefined; // as many bytes as characters at least
      let visible = false;
      let ascii = true;
      for (let i = s; i < e; i++) {
        const c = buf[i] as number;
        if (c < 0x20 || c === 0x7f) return undefined;
        if (c >= 0x80) ascii = false;
        else if (c > 0x20) visible = true;
      }
      if (p.free) {
        if (!visible) return undefined; // it may be only white space (null on the string path)
      } else {
        const first = buf[s] as number;
        const last = buf[e - 1] as number;
        if (first <= 0x20 || first >= 0x80 || last <= 0x20 || last >= 0x80) return undefined; // it may be trimmed
      }
      if (checked[k] && (!(ascii || p.free) || !clearOfCardDataAt(buf, s, e))) return undefined;
      switch (p.f) {
        case 'currency':
          // as written, or as the string path upper-cases it
          currency = currencyAt(buf, s, e) ?? (ascii ? buf.toString('latin1', s, e).toUpperCase() : undefined);
          if (currency === undefined || !isCurrency(currency)) return undefined;
          break;
        case 'amount':
          amountAscii = ascii;
          break;
        case 'booked_at':
          // another form the string path accepts is normalized as it normalizes it
          if (!isCanonicalTimestampAt(buf, s, e)) {
            const t = ascii ? parseTimestamp(buf.toString('latin1', s, e)) : undefined;
            if (!t?.ok) return undefined;
            bookedAt = t.value;
          }
          break;
        case 'value_date':
          if (!isDateAt(buf, s, e)) return undefined;
          break;
        case 'card_pan': {
          for (let i = s; i < e; i++) if ((buf[i] as number) < 48 || (buf[i] as number) > 57) return undefined;
          const protectedPan = e - s >= 13 && e - s <= 19 ? pan.protect(buf.toString('latin1', s, e)) : undefined;
          if (!protectedPan) return undefined;
          cardPanToken = protectedPan.token;
          cardPanMasked = protectedPan.masked;
          break;
        }
        default:
          break;
      }
    }
    if (currency === undefined) return undefined;
    const amountAt = cols[AT.amount] as number;
    const from = rec.fieldStart(amountAt);
    const to = rec.fieldEnd(amountAt);
    let amount: Money | undefined; // normalized, when not written as the currency's decimal
    if (!isCanonicalAmountAt(buf, from, to, currencyExponent(currency) as number)) {
      const m = amountAscii ? parseAmount(buf.toString('latin1', from, to), currency) : undefined;
      if (!m?.ok) return undefined;
      amount = m.value;
    }
    return new SpanTxn(rec, cols, currency, cardPanToken, cardPanMasked, amount, bookedAt);
  };

  return {
    map(record) {
      if (record instanceof SpannedRecord) {
        const txn = mapSpanned(record);
        if (txn) return { ok: true, txn };
      }
      // the reader's own reason: a stray quote, bytes that are not UTF-8, an over-long record, bad JSON
      if (record.error) return reject(record, readerCode(record.error.code), record.error.message);
      if (record.fields.length !== width) {
        return reject(
          record,
          'FIELD_COUNT_MISMATCH',
          `record has ${record.fields.length} fields; the header has ${width}`,
        );
      }
      tokenized = 0;
      // the fields' values in CANONICAL_FIELDS order, in one array reused from record to record (every slot
      // is set below before it is read)
      for (let k = 0; k < plan.length; k++) {
        const { f, column, free, max, control } = plan[k] as (typeof plan)[number];
        const raw = column === undefined ? undefined : record.fields[column];
        const trimmed = raw?.trim();
        if (raw === undefined || !trimmed) {
          values[k] = null;
          continue;
        }
        // free text keeps its exact form; identifiers, codes, amounts and dates are trimmed
        const v = free ? raw : trimmed;
        if (v.length > max) return reject(record, 'FIELD_TOO_LONG', `${f} is longer than ${max} characters`, f);
        if (control.test(v)) return reject(record, 'INVALID_CHARACTERS', `${f} contains control characters`, f);
        values[k] = v;
      }
      for (const f of REQUIRED) {
        if (valueOf(values, f) === null) return reject(record, 'MISSING_FIELD', `${f} is required`, f);
      }
      const currency = (valueOf(values, 'currency') as string).toUpperCase();
      if (!isCurrency(currency))
        return reject(
          record,
          'INVALID_CURRENCY',
          `"${currency.slice(0, 10)}" is not an ISO 4217 currency code`,
          'currency',
        );
      const amount = parseAmount(valueOf(values, 'amount') as string, currency);
      if (!amount.ok) return reject(record, amount.code, amount.message, 'amount');
      const bookedAt = parseTimestamp(valueOf(values, 'booked_at') as string);
      if (!bookedAt.ok) return reject(record, 'INVALID_TIMESTAMP', `booked_at: ${bookedAt.message}`, 'booked_at');
      let valueDate: string | null = null;
      const valueDateText = valueOf(values, 'value_date');
      if (valueDateText !== null) {
        const d = parseDate(valueDateText);
        if (!d.ok) return reject(record, 'INVALID_DATE', `value_date: ${d.message}`, 'value_date');
        valueDate = d.value;
      }
      let cardPanToken: string | null = null;
      let cardPanMasked: string | null = null;
      const cardText = valueOf(values, 'card_pan');
      if (cardText !== null) {
        const p = pan.protect(cardText);
        if (!p)
          return reject(record, 'INVALID_PAN', 'card_pan is not a valid card number (13–19 digits, Luhn)', 'card_pan');
        cardPanToken = p.token;
        cardPanMasked = p.masked;
      }
      const counterpartyAccount = valueOf(values, 'counterparty_account');
      const txn: CanonicalTransaction = {
        recordNo: record.recordNo,
        raw: record.raw,
        txnId: identifier('txn_id', valueOf(values, 'txn_id') as string),
        account: identifier('account', valueOf(values, 'account') as string),
        counterpartyAccount:
          counterpartyAccount === null ? null : identifier('counterparty_account', counterpartyAccount),
        counterpartyName: text('counterparty_name', valueOf(values, 'counterparty_name')),
        amount: amount.value,
        currency,
        bookedAt: bookedAt.value,
        valueDate,
        reference: text('reference', valueOf(values, 'reference')),
        cardPanToken,
        cardPanMasked,
      };
      // only on the rare row whose identifiers held card data (a spread in the literal would build every row slowly)
      if (tokenized) txn.identifiersTokenized = tokenized;
      return { ok: true, txn };
    },
  };
}
