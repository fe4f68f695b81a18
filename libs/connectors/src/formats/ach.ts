import { ACH_RECORD_LENGTH, achRecords, centsToDecimal, field, isoDate, routingChecksumOk } from './ach-records';
import {
  checkAddenda,
  closeBatch,
  num,
  openBatch,
  openEntry,
  toEntry,
  type AchOptions,
  type Batch,
  type PendingEntry,
} from './ach-batch';
import { Findings } from './findings';
import { TextInput } from './text-input';
import {
  FormatError,
  MAX_RAW_CHARS,
  type BankEntry,
  type ControlCheck,
  type FormatReader,
  type FormatSummary,
} from './types';

export type { AchOptions } from './ach-batch';

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

export function achReader(options: AchOptions = {}): FormatReader {
  return async function* readAch(input: AsyncIterable<Buffer>): AsyncGenerator<BankEntry, FormatSummary, void> {
    const text = new TextInput(input);
    const findings = new Findings();
    const counts: Record<string, number> = { batches: 0, entries: 0, addenda: 0, records: 0 };
    let fileHeader: string | null = null;
    let fileId = '';
    let fileDate: string | null = null;
    let fileControlSeen = false;
    /** The block count check (its verdict settled at the end: filler records after the control count too). */
    let blockCheck: ControlCheck | undefined;
    let fillerAfterControl = 0;
    let batch: Batch | null = null;
    let entry: PendingEntry | null = null;
    let fileEntryAddenda = 0;
    let fileHash = 0n;
    let fileDebit = 0n;
    let fileCredit = 0n;
    let padded = 0;
    const check = (name: string, location: string, expected: string, found: string) =>
      findings.check('batch control', { name, location, expected, found, ok: expected === found });

    const finishEntry = (): BankEntry | null => {
      if (!entry || !batch) return null;
      const e = entry;
      entry = null;
      if (e.expectedAddenda !== null) {
        // the count covers the mandatory IAT addenda 10–16; optional 17/18 and return/NOC addenda are extra
        const mandatory = e.addenda.filter((a) => /^7(1[0-6])/.test(a)).length;
        if (mandatory !== e.expectedAddenda)
          throw new FormatError(
            `IAT entry declares ${e.expectedAddenda} addenda records (positions 13–16); ${mandatory} addenda of types 10–16 follow it`,
            e.location,
          );
      }
      if (e.hasAddenda && e.addenda.length === 0)
        throw new FormatError(
          'entry has its addenda indicator set (position 79 = 1) but no addenda record follows',
          e.location,
        );
      return toEntry(e, batch, fileId, fileDate);
    };

    for await (const rec of achRecords(text)) {
      const r = rec.text;
      // eslint-disable-next-line no-control-regex
      const ctl = /[\u0000-\u001f\u007f-\u009f]/.exec(r);
      if (ctl)
        throw new FormatError(
          `control character U+${ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${ctl.index + 1} (NACHA records hold printable characters only)`,
          rec.location,
        );
      if (rec.padded) padded++;
      const type = r[0];
      if (fileControlSeen) {
        if (/^9{94}$/.test(r)) {
          fillerAfterControl++;
          continue;
        }
        throw new FormatError(
          `record type ${type} after the file control record (only all-9 padding may follow it)`,
          rec.location,
        );
      }
      if (type !== '9' || !/^9{94}$/.test(r)) counts.records = (counts.records ?? 0) + 1;
      if (!fileHeader) {
        if (type !== '1')
          throw new FormatError(
            `a NACHA file starts with its file header record (type 1); found record type "${type}"`,
            rec.location,
          );
        fileHeader = r;
        const destination = field(r, 4, 13);
        const origin = field(r, 14, 23);
        if (!/^[ \d]\d{9}$/.test(origin))
          throw new FormatError(
            `immediate origin "${origin}" (positions 14–23) must be a routing number or a 10-digit identifier`,
            rec.location,
          );
        if (/^ \d{9}$/.test(destination) && !routingChecksumOk(destination.slice(1))) {
          const what = `immediate destination ${destination.trim()} (positions 4–13) fails the routing-number check digit`;
          // the header's address of the file, not an amount: a warning under strictness: lenient
          if (!options.lenient)
            throw new FormatError(`${what} (source.strictness: lenient reads it with a warning)`, rec.location);
          findings.warn(`${rec.location}: ${what} (strictness: lenient)`);
        }
        if (!/^ ?\d{9,10}$/.test(destination))
          throw new FormatError(
            `immediate destination "${destination}" (positions 4–13) is not a routing number`,
            rec.location,
          );
        if (field(r, 35, 37) !== '094')
          throw new FormatError(`record size (positions 35–37) is "${field(r, 35, 37)}"; it must be 094`, rec.location);
        fileDate = isoDate(field(r, 24, 29));
        if (!fileDate)
          throw new FormatError(
            `file creation date "${field(r, 24, 29)}" (positions 24–29) is not YYMMDD`,
            rec.location,
          );
        fileId = `${origin.trim()}:${field(r, 24, 33)}${field(r, 34, 34)}`;
        continue;
      }
      switch (type) {
        case '5': {
          if (batch)
            throw new FormatError(
              `batch header while batch ${batch.batchNo} (${batch.location}) has no batch control record (type 8)`,
              rec.location,
            );
          batch = openBatch(flat(r), rec);
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
          if (!batch || !entry)
            throw new FormatError(
              'addenda record (type 7) outside an entry (it must follow an entry detail record)',
              rec.location,
            );
          checkAddenda(r, rec, batch, entry, options);
          const kept = flat(r); // not a slice of the whole text chunk: an entry may keep thousands of addenda
          entry.addenda.push(kept);
          if (entry.lines.length * (ACH_RECORD_LENGTH + 1) < MAX_RAW_CHARS) entry.lines.push(kept);
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
            findings.warn(
              `batch ${batch.batchNo} (${batch.location}) has service class ${batch.serviceClass} (${batch.serviceClass === '220' ? 'credits' : 'debits'} only) but holds ${batch.serviceClass === '220' ? 'debits' : 'credits'}; its totals are checked as usual`,
            );
          }
          fileEntryAddenda += batch.entryAddenda;
          fileHash += batch.hash;
          fileDebit += batch.debit;
          fileCredit += batch.credit;
          batch = null;
          break;
        }
        case '9': {
          if (batch)
            throw new FormatError(
              `file control record while batch ${batch.batchNo} (${batch.location}) has no batch control record (type 8)`,
              rec.location,
            );
          const adv = fileHeader !== null && (counts['sec ADV'] ?? -1) >= 0;
          const batches = field(r, 2, 7);
          const blocks = field(r, 8, 13);
          const entryAddenda = field(r, 14, 21);
          const hash = field(r, 22, 31);
          const [debit, credit] = adv ? [field(r, 32, 51), field(r, 52, 71)] : [field(r, 32, 43), field(r, 44, 55)];
          for (const [name, v] of [
            ['batch count', batches],
            ['block count', blocks],
            ['entry/addenda count', entryAddenda],
            ['entry hash', hash],
            ['total debit', debit],
            ['total credit', credit],
          ] as const) {
            if (num(v) === null) throw new FormatError(`file control ${name} "${v}" is not numeric`, rec.location);
          }
          const records = counts.records ?? 0;
          const at = `${rec.location} (file control)`;
          findings.check('file control', mk('file batch count', at, batches, counts.batches ?? 0, 6));
          blockCheck = mk('file block count', at, blocks, Math.ceil(records / 10), 6);
          findings.check('file control', blockCheck);
          findings.check('file control', mk('file entry/addenda count', at, entryAddenda, fileEntryAddenda, 8));
          findings.check('file control', mk('file entry hash', at, hash, fileHash % 10_000_000_000n, 10));
          findings.check('file control', {
            name: 'file total debit',
            location: at,
            expected: centsToDecimal(debit),
            found: centsToDecimal(fileDebit.toString()),
            ok: BigInt(debit) === fileDebit,
          });
          findings.check('file control', {
            name: 'file total credit',
            location: at,
            expected: centsToDecimal(credit),
            found: centsToDecimal(fileCredit.toString()),
            ok: BigInt(credit) === fileCredit,
          });
          for (const [k, v] of Object.entries({
            'file batch count': String(Number(batches)),
            'file block count': String(Number(blocks)),
            'file entry/addenda count': String(Number(entryAddenda)),
            'file entry hash': hash,
            'file total debit': centsToDecimal(debit),
            'file total credit': centsToDecimal(credit),
          })) {
            findings.total(k, v);
          }
          fileControlSeen = true;
          break;
        }
        default:
          throw new FormatError(
            `unknown record type "${type}" (NACHA record types are 1, 5, 6, 7, 8 and 9)`,
            rec.location,
          );
      }
    }
    if (!fileHeader) throw new FormatError('the file holds no NACHA records', 'start of file');
    if (batch)
      throw new FormatError(
        `the file ends inside batch ${batch.batchNo} (${batch.location}): no batch control record (type 8)`,
        'end of file',
      );
    if (!fileControlSeen) throw new FormatError('the file ends without a file control record (type 9)', 'end of file');
    if (padded)
      findings.warn(
        `${padded} record(s) were shorter than ${ACH_RECORD_LENGTH} characters (trailing blanks trimmed) and were padded with blanks`,
      );
    // NACHA counts physical 10-record blocks: a file may carry more all-9 filler than the last block needs
    const physical = Math.ceil(((counts.records ?? 0) + fillerAfterControl) / 10);
    if (blockCheck && !blockCheck.ok && BigInt(blockCheck.expected) === BigInt(physical)) {
      blockCheck.ok = true;
      blockCheck.found = String(physical).padStart(6, '0');
      findings.warn(
        `the file control counts ${physical} blocks: the ${fillerAfterControl} all-9 filler records after it fill more than the last block`,
      );
    }
    return { format: 'ach', version: 'NACHA', encoding: text.encoding, counts, ...findings.result() };
  };
}

/** The reader with NACHA's own rules (standard return reason codes only). */
export const readAch: FormatReader = achReader();

function mk(name: string, location: string, declared: string, computed: number | bigint, width: number): ControlCheck {
  const found = computed.toString().padStart(width, '0');
  return { name, location, expected: declared, found, ok: BigInt(declared) === BigInt(computed) };
}

/** A copy of a short string that does not keep the (large) string it was sliced from alive. */
function flat(s: string): string {
  return (' ' + s).slice(1);
}
