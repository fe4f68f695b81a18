/**
 * BAI2 records as written: cutting the lines of a file into records, and a logical record (a record
 * with the 88s that continue it) into its fields.
 *
 * A *record* is one record as written, ended by "/" (several may share a line, and every 88 is a
 * record of its own). Where the text of a 16 or 88 ends: "/" ends every other record at once (their
 * fields may not hold "/"), but the free text of a 16 or 88 may hold "/" (sample5), so there a "/"
 * ends the record only when the rest of the line is blank or is another record ("/ 49,…"). A line with
 * no record code right after a 16 or 88 that has no "/" yet continues that text (a wrapped line,
 * sample3); it is not a record.
 *
 * A line holding a C0 control character other than TAB (NUL, ESC, SUB, …; CR and LF end lines) fails
 * the file: BAI2 records hold printable characters.
 */
import { warn, type ReaderState } from './bai2-state';
import { FormatError } from './types';

export const RECORD_NAMES: Readonly<Record<string, string>> = {
  '01': '01 file header',
  '02': '02 group header',
  '03': '03 account identifier',
  '16': '16 transaction detail',
  '88': '88 continuation',
  '49': '49 account trailer',
  '98': '98 group trailer',
  '99': '99 file trailer',
};
/** Records whose last field is free text (which may hold "/"). */
const TEXT_RECORDS = new Set(['16', '88']);

const LINE_STARTS_RECORD = /^\s*\d\d,/;
const CODE_AT = /(\d\d),/y;
const REST_IS_BLANK = /\s*$/y;
const NEXT_RECORD = /\s*(?:01|02|03|16|49|88|98|99),/y;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;

/** One record as written. */
export interface PhysicalRecord {
  code: string;
  /** The fields after the code, without the "/" that ends the record. */
  body: string;
  /** Ended by "/" (a 16 or 88 without one may go on on the next line). */
  terminated: boolean;
  line: number;
  /** Lines without a record code that continued its text. */
  wraps: number;
  source: string;
}

/** Splits lines into records: several records on a line, a 16/88 text wrapped over lines (see above). */
export async function* physicalRecords(
  lines: AsyncIterable<{ text: string; lineNo: number }>,
  st: ReaderState,
): AsyncGenerator<PhysicalRecord> {
  let open: PhysicalRecord | null = null;
  for await (const { text, lineNo } of lines) {
    st.lastLine = lineNo;
    const ctl = CONTROL.exec(text);
    if (ctl) {
      const code = ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      throw new FormatError(
        `control character U+${code} at position ${ctl.index + 1} (BAI2 records hold printable characters only; TAB, CR and LF aside)`,
        `line ${lineNo}`,
      );
    }
    let pos = 0;
    let afterSlash = false;
    if (open) {
      const rec: PhysicalRecord = open;
      open = null;
      if (text.trim() !== '' && !LINE_STARTS_RECORD.test(text)) {
        const r = findEnd(text, 0, rec.code);
        rec.body += ` ${text.slice(0, r.end)}`;
        rec.source += `\n${text.slice(0, r.terminated ? r.end + 1 : r.end)}`;
        rec.wraps++;
        rec.terminated = r.terminated;
        warn(
          st,
          `line ${lineNo}: a line without a record code continues the text of the ${RECORD_NAMES[rec.code]} at line ${rec.line}; read as part of it, not as a record`,
        );
        if (!r.terminated) {
          open = rec;
          continue;
        }
        yield rec;
        if (r.next < 0) continue;
        pos = r.next;
        afterSlash = true;
      } else {
        yield rec;
      }
    }
    for (;;) {
      const start = skipSpace(text, pos);
      if (start >= text.length) break;
      const code = readCode(text, start, lineNo, afterSlash);
      const r = findEnd(text, start + 3, code);
      const rec: PhysicalRecord = {
        code,
        body: text.slice(start + 3, r.end),
        terminated: r.terminated,
        line: lineNo,
        wraps: 0,
        source: text.slice(start, r.terminated ? r.end + 1 : r.end),
      };
      if (r.next < 0) {
        if (!r.terminated && TEXT_RECORDS.has(code)) open = rec;
        else yield rec;
        break;
      }
      yield rec;
      pos = r.next;
      afterSlash = true;
    }
  }
  if (open) yield open;
}

/** Where the record starting before `from` ends ("/" or the end of the line) and where the next one on the line starts (-1: none). */
function findEnd(text: string, from: number, code: string): { end: number; next: number; terminated: boolean } {
  for (let i = text.indexOf('/', from); i >= 0; i = text.indexOf('/', i + 1)) {
    REST_IS_BLANK.lastIndex = i + 1;
    if (REST_IS_BLANK.test(text)) return { end: i, next: -1, terminated: true };
    NEXT_RECORD.lastIndex = i + 1;
    if (!TEXT_RECORDS.has(code) || NEXT_RECORD.test(text))
      return { end: i, next: skipSpace(text, i + 1), terminated: true };
  }
  return { end: text.length, next: -1, terminated: false };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text.charAt(i))) i++;
  return i;
}

function readCode(text: string, at: number, line: number, afterSlash: boolean): string {
  CODE_AT.lastIndex = at;
  const m = CODE_AT.exec(text);
  const found = JSON.stringify(text.slice(at, at + 24));
  if (!m) {
    const expected = afterSlash
      ? 'another record or the end of the line after "/"'
      : 'a record code (01, 02, 03, 16, 88, 49, 98 or 99) and a comma at the start of the line';
    throw new FormatError(`expected ${expected}, found ${found}`, `line ${line}`);
  }
  const code = m[1] as string;
  if (!RECORD_NAMES[code])
    throw new FormatError(`unknown record code "${code}": expected 01, 02, 03, 16, 88, 49, 98 or 99`, `line ${line}`);
  return code;
}

/** The fields of a logical record, the fields of each of its records in turn (a field does not run on into the next record). */
export function fields(recs: PhysicalRecord[]): string[] {
  return recs.flatMap((r) => r.body.split(',').map((s) => s.trim()));
}
