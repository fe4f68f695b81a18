import { centsToDecimal, field, isoDate, routingCheckDigit, type AchRecord } from './ach-records';
import { FormatError, MAX_RAW_CHARS, type BankEntry } from './types';
import {
  SERVICE_CLASSES,
  SEC_CODES,
  DEBIT_ONLY_SEC,
  CREDIT_ONLY_SEC,
  CREDIT_CODES,
  DEBIT_CODES,
  ADV_CREDIT_CODES,
  ADV_DEBIT_CODES,
  MAX_ADDENDA,
  ADDENDA_TYPES,
  IAT_TRANSACTION_TYPES,
  standardReturnCode,
  changeCode,
} from './ach-codes';

// The NACHA record rules of one batch: its header (5), entries (6), addenda (7) and control (8), and
// how an entry with its addenda becomes a canonical entry. The file-level flow is in ach.ts.

/** Options of the ACH reader. */
export interface AchOptions {
  /** Accept return reason codes outside NACHA's list (R01–R53, R61–R77, R80–R85), as some processors use (e.g. R97). */
  customReturnCodes?: boolean;
  /**
   * strictness: lenient — the file header's immediate destination routing check digit is a warning (it
   * addresses the file, it cannot change an amount); the entries' RDFI check digits stay mandatory.
   */
  lenient?: boolean;
}

export interface Batch {
  header: string;
  location: string;
  serviceClass: string;
  sec: string;
  adv: boolean;
  iat: boolean;
  reversal: boolean;
  odfi: string;
  batchNo: string;
  companyName: string;
  companyId: string;
  description: string;
  effectiveDate: string | null;
  entryAddenda: number;
  /** A debit in a credits-only (220) batch or a credit in a debits-only (225) one. */
  mixedServiceClass: boolean;
  hash: bigint;
  debit: bigint;
  credit: bigint;
}

export interface PendingEntry {
  record: string;
  location: string;
  lines: string[];
  addenda: string[];
  expectedAddenda: number | null;
  hasAddenda: boolean;
  credit: boolean;
  cents: string;
}

export const num = (s: string) => (/^\d+$/.test(s) ? BigInt(s) : null);

export function openBatch(r: string, rec: AchRecord): Batch {
  const serviceClass = field(r, 2, 4);
  if (!SERVICE_CLASSES.has(serviceClass))
    throw new FormatError(
      `service class code "${serviceClass}" (positions 2–4) is not 200, 220, 225 or 280`,
      rec.location,
    );
  const sec = field(r, 51, 53);
  if (!SEC_CODES.has(sec))
    throw new FormatError(`standard entry class code "${sec}" (positions 51–53) is not a NACHA SEC code`, rec.location);
  const iat = sec === 'IAT';
  const adv = sec === 'ADV';
  if (adv !== (serviceClass === '280'))
    throw new FormatError(
      `service class ${serviceClass} does not go with SEC code ${sec} (ADV batches use 280, and only they)`,
      rec.location,
    );
  const effective = field(r, 70, 75);
  const batchNo = field(r, 88, 94);
  if (!/^\d{7}$/.test(batchNo))
    throw new FormatError(`batch number "${batchNo}" (positions 88–94) is not 7 digits`, rec.location);
  return {
    header: r,
    location: rec.location,
    serviceClass,
    sec,
    adv,
    iat,
    reversal: field(r, 54, 63).trim().toUpperCase() === 'REVERSAL',
    odfi: field(r, 80, 87),
    batchNo,
    companyName: (iat ? '' : field(r, 5, 20)).trim(),
    companyId: field(r, 41, 50).trim(),
    description: field(r, 54, 63).trim(),
    effectiveDate: /^0{6}$|^ {6}$/.test(effective) ? null : isoDate(effective),
    entryAddenda: 0,
    mixedServiceClass: false,
    hash: 0n,
    debit: 0n,
    credit: 0n,
  };
}

export function openEntry(r: string, rec: AchRecord, batch: Batch): PendingEntry {
  const code = field(r, 2, 3);
  const credit = batch.adv ? ADV_CREDIT_CODES.has(code) : CREDIT_CODES.has(code);
  const debit = batch.adv ? ADV_DEBIT_CODES.has(code) : DEBIT_CODES.has(code);
  if (!credit && !debit)
    throw new FormatError(
      `transaction code "${code}" (positions 2–3) is not a valid ${batch.adv ? 'ADV ' : ''}transaction code`,
      rec.location,
    );
  if ((batch.serviceClass === '220' && debit) || (batch.serviceClass === '225' && credit))
    batch.mixedServiceClass = true;
  if (DEBIT_ONLY_SEC.has(batch.sec)) {
    if (batch.reversal && debit)
      throw new FormatError(
        `${batch.sec} reversal batch holds debit transaction code ${code}; a reversal of ${batch.sec} debits holds credits`,
        rec.location,
      );
    if (!batch.reversal && credit)
      throw new FormatError(
        `${batch.sec} entries are debits; credit transaction code ${code} is not allowed`,
        rec.location,
      );
  }
  if (CREDIT_ONLY_SEC.has(batch.sec) && debit)
    throw new FormatError(
      `${batch.sec} entries are credits; debit transaction code ${code} is not allowed`,
      rec.location,
    );
  const rdfi = field(r, 4, 11);
  const check = field(r, 12, 12);
  if (!/^\d{8}$/.test(rdfi))
    throw new FormatError(`RDFI routing number "${rdfi}" (positions 4–11) is not 8 digits`, rec.location);
  if (check !== String(routingCheckDigit(rdfi)))
    throw new FormatError(
      `RDFI check digit "${check}" (position 12) is wrong for routing ${rdfi}: expected ${routingCheckDigit(rdfi)}`,
      rec.location,
    );
  const cents = batch.adv ? field(r, 28, 39) : field(r, 30, 39);
  if (!/^\d+$/.test(cents))
    throw new FormatError(
      `amount "${cents}" (positions ${batch.adv ? '28–39' : '30–39'}) is not numeric`,
      rec.location,
    );
  const indicator = field(r, 79, 79);
  if (indicator !== '0' && indicator !== '1')
    throw new FormatError(`addenda record indicator "${indicator}" (position 79) must be 0 or 1`, rec.location);
  let expectedAddenda: number | null = null;
  if (batch.iat) {
    const n = field(r, 13, 16);
    if (!/^\d{4}$/.test(n))
      throw new FormatError(`number of addenda records "${n}" (positions 13–16) is not numeric`, rec.location);
    expectedAddenda = Number(n);
  }
  return {
    record: r,
    location: rec.location,
    lines: [r],
    addenda: [],
    expectedAddenda,
    hasAddenda: indicator === '1',
    credit,
    cents,
  };
}

export function checkAddenda(r: string, rec: AchRecord, batch: Batch, entry: PendingEntry, options: AchOptions) {
  if (!entry.hasAddenda)
    throw new FormatError('addenda record follows an entry whose addenda indicator (position 79) is 0', rec.location);
  if (entry.addenda.length >= MAX_ADDENDA)
    throw new FormatError(`more than ${MAX_ADDENDA} addenda records for one entry (NACHA's limit, CTX)`, rec.location);
  const type = field(r, 2, 3);
  if (!ADDENDA_TYPES.has(type))
    throw new FormatError(`addenda type code "${type}" (positions 2–3) is not a NACHA addenda type`, rec.location);
  if (type === '99') {
    const code = field(r, 4, 6);
    const ok = options.customReturnCodes ? /^R[0-9A-Z]{2}$/.test(code) : standardReturnCode(code);
    if (!ok)
      throw new FormatError(
        `return reason code "${code}" (positions 4–6) is not a NACHA return reason code (R01–R53, R61–R77, R80–R85)`,
        rec.location,
      );
  } else if (type === '98') {
    const code = field(r, 4, 6);
    if (!changeCode(code))
      throw new FormatError(
        `change code "${code}" (positions 4–6) is not a NACHA change code (C01–C14, C61–C69)`,
        rec.location,
      );
  } else if (type === '10') {
    const code = field(r, 4, 6);
    if (!IAT_TRANSACTION_TYPES.has(code))
      throw new FormatError(
        `IAT transaction type code "${code}" (positions 4–6) is not one of ${[...IAT_TRANSACTION_TYPES].join(', ')}`,
        rec.location,
      );
  }
  const iatType = Number(type) >= 10 && Number(type) <= 18;
  if (type !== '98' && type !== '99' && batch.iat !== iatType) {
    throw new FormatError(
      `addenda type ${type} does not belong in a${batch.iat ? 'n IAT' : ` ${batch.sec}`} batch`,
      rec.location,
    );
  }
}

export function closeBatch(
  r: string,
  rec: AchRecord,
  batch: Batch,
  check: (name: string, location: string, expected: string, found: string) => void,
) {
  const at = `${rec.location} (batch control)`;
  const name = `batch ${batch.batchNo}`;
  const count = field(r, 5, 10);
  const hash = field(r, 11, 20);
  const [debit, credit] = batch.adv ? [field(r, 21, 40), field(r, 41, 60)] : [field(r, 21, 32), field(r, 33, 44)];
  for (const [what, v] of [
    ['entry/addenda count', count],
    ['entry hash', hash],
    ['total debit', debit],
    ['total credit', credit],
  ] as const) {
    if (num(v) === null) throw new FormatError(`batch control ${what} "${v}" is not numeric`, rec.location);
  }
  check(`${name} service class (batch control vs header)`, at, field(r, 2, 4), batch.serviceClass);
  check(`${name} entry/addenda count`, at, String(Number(count)), String(batch.entryAddenda));
  check(`${name} entry hash`, at, hash, (batch.hash % 10_000_000_000n).toString().padStart(10, '0'));
  check(`${name} total debit`, at, centsToDecimal(debit), centsToDecimal(batch.debit.toString()));
  check(`${name} total credit`, at, centsToDecimal(credit), centsToDecimal(batch.credit.toString()));
  check(`${name} ODFI identification (batch control vs header)`, at, field(r, 80, 87), batch.odfi);
  check(`${name} batch number (batch control vs header)`, at, field(r, 88, 94), batch.batchNo);
}

export function toEntry(e: PendingEntry, batch: Batch, fileId: string, fileDate: string | null): BankEntry {
  const r = e.record;
  const trace = field(r, 80, 94);
  const routing = `${field(r, 4, 11)}${field(r, 12, 12)}`;
  const accountNo = (batch.adv ? field(r, 13, 27) : batch.iat ? field(r, 40, 74) : field(r, 13, 29)).trim();
  const amount = centsToDecimal(e.cents);
  const parts: string[] = [batch.sec, batch.description];
  let counterpartyName = batch.companyName || null;
  if (batch.iat) {
    const originator = e.addenda.find((a) => field(a, 2, 3) === '11');
    if (originator) counterpartyName = field(originator, 4, 38).trim() || null;
    const receiver = e.addenda.find((a) => field(a, 2, 3) === '10');
    if (receiver) parts.push(field(receiver, 47, 81).trim());
  } else if (!batch.adv) {
    parts.push(field(r, 55, 76).trim(), field(r, 40, 54).trim());
  } else {
    parts.push(field(r, 55, 76).trim());
  }
  for (const a of e.addenda) {
    const t = field(a, 2, 3);
    if (t === '05') parts.push(field(a, 4, 83).trim());
    else if (t === '99') parts.push(`return ${field(a, 4, 6)} of trace ${field(a, 7, 21)}`);
    else if (t === '98') parts.push(`change ${field(a, 4, 6)}: ${field(a, 36, 64).trim()}`);
  }
  const reference = parts
    .filter((p) => p !== '')
    .join(' ')
    .slice(0, 1024);
  const raw = e.lines.join('\n');
  return {
    // trace numbers should be unique in a file, but files repeat them across batches: the batch number keeps keys apart
    txnId: `${fileId}:${batch.batchNo}:${trace}`,
    account: `${routing}:${accountNo}`,
    counterpartyAccount: batch.companyId || null,
    counterpartyName,
    amount: e.credit ? amount : `-${amount}`,
    currency: 'USD',
    bookedAt: batch.effectiveDate ?? (fileDate as string),
    valueDate: batch.effectiveDate,
    reference: reference || null,
    raw: raw.length > MAX_RAW_CHARS ? raw.slice(0, MAX_RAW_CHARS) : raw,
    location: `${e.location} (batch ${batch.batchNo}, ${batch.sec})`,
  };
}
