import { ACH_RECORD_LENGTH, achRecords, centsToDecimal, field, isoDate, routingCheckDigit, routingChecksumOk, type AchRecord } from './ach-records';
import { TextInput } from './text-input';
import { FormatError, MAX_RAW_CHARS, type BankEntry, type ControlCheck, type FormatReader, type FormatSummary } from './types';

/**
 * NACHA ACH reader: file header (1), batches of header (5), entries (6) with their addenda (7) and
 * control (8), then the file control (9) and all-9 padding. Every SEC code is read (PPD, CCD, CTX,
 * WEB, TEL, IAT, ARC, BOC, POP, POS, SHR, MTE, …, and ADV with its own entry and control layouts);
 * returns (addenda 99) and notifications of change (addenda 98) are entries like any other.
 *
 * One entry with its addenda is one record. Batch and file controls are checked against the
 * entries: entry/addenda count, entry hash (sum of RDFI routing numbers mod 10^10), total debit and
 * credit amounts, batch count and block count; the control must repeat the header's service class,
 * ODFI and batch number. Field rules that make a file unusable (an unknown record type, a bad
 * routing check digit, a transaction code the batch does not allow, an unknown return or change
 * code, control characters) reject the whole file with where and what.
 */

export interface AchOptions {
  /** Accept return reason codes outside NACHA's list (R01–R85), as some processors use (e.g. R97). */
  customReturnCodes?: boolean;
}

const SERVICE_CLASSES = new Set(['200', '220', '225', '280']);
const SEC_CODES = new Set(['ACK', 'ADV', 'ARC', 'ATX', 'BOC', 'CCD', 'CIE', 'COR', 'CTX', 'DNE', 'ENR', 'IAT', 'MTE', 'POP', 'POS', 'PPD', 'RCK', 'SHR', 'TEL', 'TRC', 'TRX', 'WEB', 'XCK']);
/** SEC codes whose entries are debits (a reversal batch of them holds credits only). */
const DEBIT_ONLY_SEC = new Set(['ARC', 'BOC', 'POP', 'RCK', 'TEL', 'XCK']);
const CREDIT_ONLY_SEC = new Set(['CIE']);
const CREDIT_CODES = new Set(['21', '22', '23', '24', '31', '32', '33', '34', '41', '42', '43', '44', '51', '52', '53', '54']);
const DEBIT_CODES = new Set(['26', '27', '28', '29', '36', '37', '38', '39', '46', '47', '48', '49', '55', '56']);
const ADV_CREDIT_CODES = new Set(['81', '83', '85', '87']);
const ADV_DEBIT_CODES = new Set(['82', '84', '86', '88']);
const ADDENDA_TYPES = new Set(['02', '05', '10', '11', '12', '13', '14', '15', '16', '17', '18', '98', '99']);
const IAT_TRANSACTION_TYPES = new Set(['ANN', 'BUS', 'DEP', 'LOA', 'MIS', 'MOR', 'PEN', 'RLS', 'REM', 'SAL', 'TAX', 'TEL', 'WEB', 'ARC', 'BOC', 'POP', 'RCK']);

function standardReturnCode(code: string): boolean {
  const m = /^R(\d\d)$/.exec(code);
  if (!m) return false;
  const n = Number(m[1]);
  return (n >= 1 && n <= 53) || (n >= 61 && n <= 77) || (n >= 80 && n <= 85);
}
function changeCode(code: string): boolean {
  const m = /^C(\d\d)$/.exec(code);
  if (!m) return false;
  const n = Number(m[1]);
  return (n >= 1 && n <= 14) || (n >= 61 && n <= 69);
}

interface Batch {
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

interface PendingEntry {
  record: string;
  location: string;
  lines: string[];
  addenda: string[];
  expectedAddenda: number | null;
  hasAddenda: boolean;
  credit: boolean;
  cents: string;
}

const num = (s: string) => (/^\d+$/.test(s) ? BigInt(s) : null);

export function achReader(options: AchOptions = {}): FormatReader {
  return async function* readAch(input: AsyncIterable<Buffer>): AsyncGenerator<BankEntry, FormatSummary, void> {
    const text = new TextInput(input);
    const checks: ControlCheck[] = [];
    const warnings: string[] = [];
    const counts: Record<string, number> = { batches: 0, entries: 0, addenda: 0, records: 0 };
    const controlTotals: Record<string, string> = {};
    let fileHeader: string | null = null;
    let fileId = '';
    let fileDate: string | null = null;
    let fileControlSeen = false;
    let batch: Batch | null = null;
    let entry: PendingEntry | null = null;
    let fileEntryAddenda = 0;
    let fileHash = 0n;
    let fileDebit = 0n;
    let fileCredit = 0n;
    let padded = 0;
    let batchChecksFailed = 0;
    const check = (name: string, location: string, expected: string, found: string) => {
      const ok = expected === found;
      if (!ok) batchChecksFailed++;
      checks.push({ name, location, expected, found, ok });
    };

    const finishEntry = (): BankEntry | null => {
      if (!entry || !batch) return null;
      const e = entry;
      entry = null;
      if (e.expectedAddenda !== null) {
        // the count covers the mandatory IAT addenda 10–16; optional 17/18 and return/NOC addenda are extra
        const mandatory = e.addenda.filter((a) => /^7(1[0-6])/.test(a)).length;
        if (mandatory !== e.expectedAddenda) throw new FormatError(`IAT entry declares ${e.expectedAddenda} addenda records (positions 13–16); ${mandatory} addenda of types 10–16 follow it`, e.location);
      }
      if (e.hasAddenda && e.addenda.length === 0) throw new FormatError('entry has its addenda indicator set (position 79 = 1) but no addenda record follows', e.location);
      return toEntry(e, batch, fileId, fileDate);
    };

    for await (const rec of achRecords(text)) {
      const r = rec.text;
      // eslint-disable-next-line no-control-regex
      const ctl = /[\u0000-\u001f\u007f-\u009f]/.exec(r);
      if (ctl) throw new FormatError(`control character U+${ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${ctl.index + 1} (NACHA records hold printable characters only)`, rec.location);
      if (rec.padded) padded++;
      const type = r[0];
      if (fileControlSeen) {
        if (/^9{94}$/.test(r)) continue;
        throw new FormatError(`record type ${type} after the file control record (only all-9 padding may follow it)`, rec.location);
      }
      if (type !== '9' || !/^9{94}$/.test(r)) counts.records = (counts.records ?? 0) + 1;
      if (!fileHeader) {
        if (type !== '1') throw new FormatError(`a NACHA file starts with its file header record (type 1); found record type "${type}"`, rec.location);
        fileHeader = r;
        const destination = field(r, 4, 13);
        const origin = field(r, 14, 23);
        if (!/^[ \d]\d{9}$/.test(origin)) throw new FormatError(`immediate origin "${origin}" (positions 14–23) must be a routing number or a 10-digit identifier`, rec.location);
        if (/^ \d{9}$/.test(destination) && !routingChecksumOk(destination.slice(1))) {
          throw new FormatError(`immediate destination ${destination.trim()} (positions 4–13) fails the routing-number check digit`, rec.location);
        }
        if (!/^ ?\d{9,10}$/.test(destination)) throw new FormatError(`immediate destination "${destination}" (positions 4–13) is not a routing number`, rec.location);
        if (field(r, 35, 37) !== '094') throw new FormatError(`record size (positions 35–37) is "${field(r, 35, 37)}"; it must be 094`, rec.location);
        fileDate = isoDate(field(r, 24, 29));
        if (!fileDate) throw new FormatError(`file creation date "${field(r, 24, 29)}" (positions 24–29) is not YYMMDD`, rec.location);
        fileId = `${origin.trim()}:${field(r, 24, 33)}${field(r, 34, 34)}`;
        continue;
      }
      switch (type) {
        case '5': {
          if (batch) throw new FormatError(`batch header while batch ${batch.batchNo} (${batch.location}) has no batch control record (type 8)`, rec.location);
          batch = openBatch(r, rec);
          counts.batches = (counts.batches ?? 0) + 1;
          counts[`sec ${batch.sec}`] = (counts[`sec ${batch.sec}`] ?? 0) + 0;
          break;
        }
        case '6': {
          if (!batch) throw new FormatError('entry detail record (type 6) outside a batch', rec.location);
          const done = finishEntry();
          if (done) yield done;
          entry = openEntry(r, rec, batch);
          batch.entryAddenda++;
          batch.hash += BigInt(field(r, 4, 11));
          if (entry.credit) batch.credit += BigInt(entry.cents);
          else batch.debit += BigInt(entry.cents);
          counts.entries = (counts.entries ?? 0) + 1;
          counts[`sec ${batch.sec}`] = (counts[`sec ${batch.sec}`] ?? 0) + 1;
          break;
        }
        case '7': {
          if (!batch || !entry) throw new FormatError('addenda record (type 7) outside an entry (it must follow an entry detail record)', rec.location);
          checkAddenda(r, rec, batch, entry, options);
          entry.addenda.push(r);
          entry.lines.push(r);
          batch.entryAddenda++;
          counts.addenda = (counts.addenda ?? 0) + 1;
          break;
        }
        case '8': {
          if (!batch) throw new FormatError('batch control record (type 8) without a batch header', rec.location);
          const done = finishEntry();
          if (done) yield done;
          closeBatch(r, rec, batch, check);
          if (batch.mixedServiceClass) {
            warnings.push(`batch ${batch.batchNo} (${batch.location}) has service class ${batch.serviceClass} (${batch.serviceClass === '220' ? 'credits' : 'debits'} only) but holds ${batch.serviceClass === '220' ? 'debits' : 'credits'}; its totals are checked as usual`);
          }
          fileEntryAddenda += batch.entryAddenda;
          fileHash += batch.hash;
          fileDebit += batch.debit;
          fileCredit += batch.credit;
          batch = null;
          break;
        }
        case '9': {
          if (batch) throw new FormatError(`file control record while batch ${batch.batchNo} (${batch.location}) has no batch control record (type 8)`, rec.location);
          const adv = fileHeader !== null && (counts['sec ADV'] ?? -1) >= 0;
          const batches = field(r, 2, 7);
          const blocks = field(r, 8, 13);
          const entryAddenda = field(r, 14, 21);
          const hash = field(r, 22, 31);
          const [debit, credit] = adv ? [field(r, 32, 51), field(r, 52, 71)] : [field(r, 32, 43), field(r, 44, 55)];
          for (const [name, v] of [['batch count', batches], ['block count', blocks], ['entry/addenda count', entryAddenda], ['entry hash', hash], ['total debit', debit], ['total credit', credit]] as const) {
            if (num(v) === null) throw new FormatError(`file control ${name} "${v}" is not numeric`, rec.location);
          }
          const records = counts.records ?? 0;
          const at = `${rec.location} (file control)`;
          checks.push(mk('file batch count', at, batches, counts.batches ?? 0, 6));
          checks.push(mk('file block count', at, blocks, Math.ceil(records / 10), 6));
          checks.push(mk('file entry/addenda count', at, entryAddenda, fileEntryAddenda, 8));
          checks.push(mk('file entry hash', at, hash, fileHash % 10_000_000_000n, 10));
          checks.push({ name: 'file total debit', location: at, expected: centsToDecimal(debit), found: centsToDecimal(fileDebit.toString()), ok: BigInt(debit) === fileDebit });
          checks.push({ name: 'file total credit', location: at, expected: centsToDecimal(credit), found: centsToDecimal(fileCredit.toString()), ok: BigInt(credit) === fileCredit });
          Object.assign(controlTotals, {
            'file batch count': String(Number(batches)),
            'file block count': String(Number(blocks)),
            'file entry/addenda count': String(Number(entryAddenda)),
            'file entry hash': hash,
            'file total debit': centsToDecimal(debit),
            'file total credit': centsToDecimal(credit),
          });
          fileControlSeen = true;
          break;
        }
        default:
          throw new FormatError(`unknown record type "${type}" (NACHA record types are 1, 5, 6, 7, 8 and 9)`, rec.location);
      }
    }
    if (!fileHeader) throw new FormatError('the file holds no NACHA records', 'start of file');
    if (batch) throw new FormatError(`the file ends inside batch ${batch.batchNo} (${batch.location}): no batch control record (type 8)`, 'end of file');
    if (!fileControlSeen) throw new FormatError('the file ends without a file control record (type 9)', 'end of file');
    const batchCount = counts.batches ?? 0;
    if (batchCount > 0 && batchChecksFailed === 0) {
      checks.unshift({ name: `batch controls of all ${batchCount} batch(es): entry/addenda count, entry hash, debit and credit totals`, location: 'batch control records', expected: 'as declared', found: 'as declared', ok: true });
    }
    if (padded) warnings.push(`${padded} record(s) were shorter than ${ACH_RECORD_LENGTH} characters (trailing blanks trimmed) and were padded with blanks`);
    return { format: 'ach', version: 'NACHA', encoding: text.encoding, counts, controlTotals, checks, warnings };
  };
}

/** The reader with NACHA's own rules (standard return reason codes only). */
export const readAch: FormatReader = achReader();

function mk(name: string, location: string, declared: string, computed: number | bigint, width: number): ControlCheck {
  const found = computed.toString().padStart(width, '0');
  return { name, location, expected: declared, found, ok: BigInt(declared) === BigInt(computed) };
}

function openBatch(r: string, rec: AchRecord): Batch {
  const serviceClass = field(r, 2, 4);
  if (!SERVICE_CLASSES.has(serviceClass)) throw new FormatError(`service class code "${serviceClass}" (positions 2–4) is not 200, 220, 225 or 280`, rec.location);
  const sec = field(r, 51, 53);
  if (!SEC_CODES.has(sec)) throw new FormatError(`standard entry class code "${sec}" (positions 51–53) is not a NACHA SEC code`, rec.location);
  const iat = sec === 'IAT';
  const adv = sec === 'ADV';
  if (adv !== (serviceClass === '280')) throw new FormatError(`service class ${serviceClass} does not go with SEC code ${sec} (ADV batches use 280, and only they)`, rec.location);
  const effective = field(r, 70, 75);
  const batchNo = field(r, 88, 94);
  if (!/^\d{7}$/.test(batchNo)) throw new FormatError(`batch number "${batchNo}" (positions 88–94) is not 7 digits`, rec.location);
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

function openEntry(r: string, rec: AchRecord, batch: Batch): PendingEntry {
  const code = field(r, 2, 3);
  const credit = batch.adv ? ADV_CREDIT_CODES.has(code) : CREDIT_CODES.has(code);
  const debit = batch.adv ? ADV_DEBIT_CODES.has(code) : DEBIT_CODES.has(code);
  if (!credit && !debit) throw new FormatError(`transaction code "${code}" (positions 2–3) is not a valid ${batch.adv ? 'ADV ' : ''}transaction code`, rec.location);
  if ((batch.serviceClass === '220' && debit) || (batch.serviceClass === '225' && credit)) batch.mixedServiceClass = true;
  if (DEBIT_ONLY_SEC.has(batch.sec)) {
    if (batch.reversal && debit) throw new FormatError(`${batch.sec} reversal batch holds debit transaction code ${code}; a reversal of ${batch.sec} debits holds credits`, rec.location);
    if (!batch.reversal && credit) throw new FormatError(`${batch.sec} entries are debits; credit transaction code ${code} is not allowed`, rec.location);
  }
  if (CREDIT_ONLY_SEC.has(batch.sec) && debit) throw new FormatError(`${batch.sec} entries are credits; debit transaction code ${code} is not allowed`, rec.location);
  const rdfi = field(r, 4, 11);
  const check = field(r, 12, 12);
  if (!/^\d{8}$/.test(rdfi)) throw new FormatError(`RDFI routing number "${rdfi}" (positions 4–11) is not 8 digits`, rec.location);
  if (check !== String(routingCheckDigit(rdfi))) throw new FormatError(`RDFI check digit "${check}" (position 12) is wrong for routing ${rdfi}: expected ${routingCheckDigit(rdfi)}`, rec.location);
  const cents = batch.adv ? field(r, 28, 39) : field(r, 30, 39);
  if (!/^\d+$/.test(cents)) throw new FormatError(`amount "${cents}" (positions ${batch.adv ? '28–39' : '30–39'}) is not numeric`, rec.location);
  const indicator = field(r, 79, 79);
  if (indicator !== '0' && indicator !== '1') throw new FormatError(`addenda record indicator "${indicator}" (position 79) must be 0 or 1`, rec.location);
  let expectedAddenda: number | null = null;
  if (batch.iat) {
    const n = field(r, 13, 16);
    if (!/^\d{4}$/.test(n)) throw new FormatError(`number of addenda records "${n}" (positions 13–16) is not numeric`, rec.location);
    expectedAddenda = Number(n);
  }
  return { record: r, location: rec.location, lines: [r], addenda: [], expectedAddenda, hasAddenda: indicator === '1', credit, cents };
}

function checkAddenda(r: string, rec: AchRecord, batch: Batch, entry: PendingEntry, options: AchOptions) {
  if (!entry.hasAddenda) throw new FormatError('addenda record follows an entry whose addenda indicator (position 79) is 0', rec.location);
  const type = field(r, 2, 3);
  if (!ADDENDA_TYPES.has(type)) throw new FormatError(`addenda type code "${type}" (positions 2–3) is not a NACHA addenda type`, rec.location);
  if (type === '99') {
    const code = field(r, 4, 6);
    const ok = options.customReturnCodes ? /^R[0-9A-Z]{2}$/.test(code) : standardReturnCode(code);
    if (!ok) throw new FormatError(`return reason code "${code}" (positions 4–6) is not a NACHA return reason code (R01–R85)`, rec.location);
  } else if (type === '98') {
    const code = field(r, 4, 6);
    if (!changeCode(code)) throw new FormatError(`change code "${code}" (positions 4–6) is not a NACHA change code (C01–C14, C61–C69)`, rec.location);
  } else if (type === '10') {
    const code = field(r, 4, 6);
    if (!IAT_TRANSACTION_TYPES.has(code)) throw new FormatError(`IAT transaction type code "${code}" (positions 4–6) is not one of ${[...IAT_TRANSACTION_TYPES].join(', ')}`, rec.location);
  }
  const iatType = Number(type) >= 10 && Number(type) <= 18;
  if (type !== '98' && type !== '99' && batch.iat !== iatType) {
    throw new FormatError(`addenda type ${type} does not belong in a${batch.iat ? 'n IAT' : ` ${batch.sec}`} batch`, rec.location);
  }
}

function closeBatch(r: string, rec: AchRecord, batch: Batch, check: (name: string, location: string, expected: string, found: string) => void) {
  const at = `${rec.location} (batch control)`;
  const name = `batch ${batch.batchNo}`;
  const count = field(r, 5, 10);
  const hash = field(r, 11, 20);
  const [debit, credit] = batch.adv ? [field(r, 21, 40), field(r, 41, 60)] : [field(r, 21, 32), field(r, 33, 44)];
  for (const [what, v] of [['entry/addenda count', count], ['entry hash', hash], ['total debit', debit], ['total credit', credit]] as const) {
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

function toEntry(e: PendingEntry, batch: Batch, fileId: string, fileDate: string | null): BankEntry {
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
  const reference = parts.filter((p) => p !== '').join(' ').slice(0, 1024);
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
