import { type TextInput } from './text-input';
import { FormatError } from './types';

/** Every NACHA record is 94 characters. */
export const ACH_RECORD_LENGTH = 94;

export interface AchRecord {
  /** Exactly 94 characters (a line shorter because trailing blanks were trimmed is padded). */
  text: string;
  /** "line 7", or "record 7 (offset 564)" in a file without line breaks. */
  location: string;
  /** Whether the record came from a line shorter than 94 characters. */
  padded: boolean;
}

/**
 * Cuts a NACHA file into its 94-character records, streaming. Two layouts exist: one record per line
 * (LF or CRLF; trailing blanks are often trimmed, so a shorter line is padded with blanks), and
 * records concatenated with no line breaks (the first line is longer than one record). A line longer
 * than 94 characters, or a final record cut short, fails the file. Blank lines are skipped.
 */
export async function* achRecords(input: TextInput): AsyncGenerator<AchRecord> {
  let pending = '';
  let mode: 'lines' | 'fixed' | undefined;
  let lineNo = 0;
  let recordNo = 0;
  for await (const chunk of input.chunks()) {
    // a lone CR ends a line too (old Mac line ends); a CR that ends the chunk may be half of a CRLF,
    // which then reads as an empty line — skipped like any blank line
    const piece = chunk.includes('\r') ? chunk.replace(/\r\n?/g, '\n') : chunk;
    pending += piece;
    if (!mode) {
      const nl = pending.search(/[\r\n]/);
      if (nl >= 0) mode = nl > ACH_RECORD_LENGTH ? 'fixed' : 'lines';
      else if (pending.length > ACH_RECORD_LENGTH) mode = 'fixed';
      else continue;
    }
    if (mode === 'fixed') {
      if (/[\r\n]/.test(pending)) pending = pending.replace(/[\r\n]/g, '');
      let start = 0;
      while (pending.length - start >= ACH_RECORD_LENGTH) {
        recordNo++;
        yield {
          text: pending.slice(start, start + ACH_RECORD_LENGTH),
          location: `record ${recordNo} (offset ${(recordNo - 1) * ACH_RECORD_LENGTH})`,
          padded: false,
        };
        start += ACH_RECORD_LENGTH;
      }
      pending = pending.slice(start);
      continue;
    }
    let start = 0;
    for (;;) {
      const nl = pending.indexOf('\n', start);
      if (nl < 0) break;
      lineNo++;
      const rec = lineRecord(pending.slice(start, nl), lineNo);
      if (rec) yield rec;
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (pending.length > ACH_RECORD_LENGTH + 1)
      throw new FormatError(
        `line has more than ${ACH_RECORD_LENGTH} characters; NACHA records are ${ACH_RECORD_LENGTH}`,
        `line ${lineNo + 1}`,
      );
  }
  // a DOS end-of-file mark (Ctrl-Z) after the last record is not data
  if (pending.endsWith('\u001a')) pending = pending.slice(0, -1);
  if (mode === 'fixed' || (!mode && pending.length === ACH_RECORD_LENGTH)) {
    if (pending.length > 0 && pending.length !== ACH_RECORD_LENGTH) {
      throw new FormatError(
        `record has ${pending.length} character(s); NACHA records are ${ACH_RECORD_LENGTH}`,
        `record ${recordNo + 1} (offset ${recordNo * ACH_RECORD_LENGTH})`,
      );
    }
    if (pending.length)
      yield {
        text: pending,
        location: `record ${recordNo + 1} (offset ${recordNo * ACH_RECORD_LENGTH})`,
        padded: false,
      };
    return;
  }
  if (pending !== '') {
    const rec = lineRecord(pending, lineNo + 1);
    if (rec) yield rec;
  }
}

function lineRecord(line: string, lineNo: number): AchRecord | undefined {
  const text = line;
  if (text.trim() === '') return undefined;
  if (text.length > ACH_RECORD_LENGTH) {
    throw new FormatError(
      `line has ${text.length} characters; NACHA records are ${ACH_RECORD_LENGTH}`,
      `line ${lineNo}`,
    );
  }
  return {
    text: text.padEnd(ACH_RECORD_LENGTH, ' '),
    location: `line ${lineNo}`,
    padded: text.length < ACH_RECORD_LENGTH,
  };
}

/** The 1-based, inclusive field [from, to] of a record, as in the NACHA layouts. */
export function field(record: string, from: number, to: number): string {
  return record.slice(from - 1, to);
}

/** ABA routing-number check: 3-7-1 weights over nine digits, sum divisible by 10. */
export function routingChecksumOk(nineDigits: string): boolean {
  if (!/^\d{9}$/.test(nineDigits)) return false;
  const w = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nineDigits[i]) * (w[i] as number);
  return sum % 10 === 0;
}

/** The check digit of an 8-digit routing prefix (the ninth digit that makes the checksum hold). */
export function routingCheckDigit(eightDigits: string): number {
  const w = [3, 7, 1, 3, 7, 1, 3, 7];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(eightDigits[i]) * (w[i] as number);
  return (10 - (sum % 10)) % 10;
}

/** YYMMDD → YYYY-MM-DD (years 00–79 → 20xx, 80–99 → 19xx), no calendar check; null when not 6 digits. */
export function isoDate(yymmdd: string): string | null {
  if (!/^\d{6}$/.test(yymmdd)) return null;
  const yy = Number(yymmdd.slice(0, 2));
  return `${yy >= 80 ? 1900 + yy : 2000 + yy}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`;
}

/** Cents (a digit string) → "123.45". */
export function centsToDecimal(digits: string): string {
  const n = digits.replace(/^0+(?=\d)/, '').padStart(3, '0');
  return `${n.slice(0, -2)}.${n.slice(-2)}`;
}
