import { isUtf8 } from 'node:buffer';

/**
 * RFC 4180 CSV record parser over raw bytes. Record boundaries are found on bytes (quote, delimiter,
 * CR and LF are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte character), so byte
 * offsets are exact and each record's encoding is checked on its own bytes: one bad byte costs one
 * record (INVALID_ENCODING), never silently altered text.
 *
 * Works chunk by chunk: `parseRecords(buf, …, eof)` returns the complete records found and how many
 * bytes it consumed; the caller keeps the rest for the next chunk. Quoted fields may hold delimiters,
 * doubled quotes and line breaks. A quoted field that does not close within `maxRecordBytes` (or by
 * the end of the file) is not allowed to swallow the rest of the file: its opening line becomes one
 * MALFORMED_QUOTES record and parsing resumes on the next line.
 */
export interface ParsedRecord {
  fields: string[];
  /** The record's exact source text without its line terminator (decoded as UTF-8). */
  raw: string;
  /** Bytes consumed including the line terminator. */
  length: number;
  error?: { code: 'MALFORMED_QUOTES' | 'INVALID_ENCODING' | 'RECORD_TOO_LONG'; message: string };
  /**
   * The record is longer than the limit and its line continues past the bytes consumed: the caller
   * must skip input up to the next line break (and count those bytes) before parsing again.
   */
  truncated?: boolean;
}

export interface ParseOptions {
  /** Delimiter byte (ASCII). */
  delimiter: number;
  /** Longest record accepted, bytes (default 1 MiB). */
  maxRecordBytes?: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;

export function parseRecords(
  buf: Buffer,
  options: ParseOptions,
  eof: boolean,
): { records: ParsedRecord[]; consumed: number } {
  const records: ParsedRecord[] = [];
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let pos = 0;
  while (pos < buf.length) {
    const rec = parseOne(buf, pos, options.delimiter, eof, max);
    if (rec === null) break; // incomplete: wait for more bytes
    records.push(rec);
    pos += rec.length;
  }
  return { records, consumed: pos };
}

/** End of the line starting at `start` (index of CR/LF or buf.length) and the terminator's length. */
function lineEnd(buf: Buffer, start: number, eof: boolean): { end: number; term: number } | null {
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (c === LF) return { end: i, term: 1 };
    if (c === CR) {
      if (i + 1 >= buf.length) return eof ? { end: i, term: 1 } : null; // a CR that ends the input ends the line
      return { end: i, term: buf[i + 1] === LF ? 2 : 1 };
    }
  }
  return null;
}

/** Raw text kept for a dead letter of an over-long record (the start of it). */
const RAW_PREVIEW_BYTES = 4096;

/**
 * The line starting at `start` as one malformed record. When the line is longer than `max` and its
 * end is not in the buffer yet, returns what there is as a truncated record (the caller skips the rest).
 */
function wholeLine(
  buf: Buffer,
  start: number,
  eof: boolean,
  max: number,
  code: 'MALFORMED_QUOTES' | 'RECORD_TOO_LONG',
  message: string,
): ParsedRecord | null {
  const le = lineEnd(buf, start, eof);
  if (le && le.end - start <= max) {
    return {
      fields: [],
      raw: buf.toString('utf8', start, le.end),
      length: le.end - start + le.term,
      error: { code, message },
    };
  }
  if (!le && eof && buf.length - start <= max) {
    return { fields: [], raw: buf.toString('utf8', start), length: buf.length - start, error: { code, message } };
  }
  if (!le && !eof && buf.length - start <= max) return null;
  const end = le ? le.end + le.term : buf.length;
  return {
    fields: [],
    raw: `${buf.toString('utf8', start, Math.min(end, start + RAW_PREVIEW_BYTES))}…`,
    length: end - start,
    error: { code: 'RECORD_TOO_LONG', message: `record longer than ${max} bytes` },
    truncated: !le && !eof,
  };
}

function parseOne(buf: Buffer, start: number, delim: number, eof: boolean, max: number): ParsedRecord | null {
  const n = buf.length;
  const fields: string[] = [];
  let i = start;
  let quoteError: string | undefined;
  for (;;) {
    if (i < n && buf[i] === QUOTE) {
      const parts: Buffer[] = [];
      let j = i + 1;
      for (;;) {
        const q = buf.indexOf(QUOTE, j);
        if (q < 0 || q - start > max) {
          if (q < 0 && !eof && n - start <= max) return null;
          // never closes (or not within the limit): dead-letter the opening line, resume after it
          const why =
            q < 0 && eof
              ? 'a quoted field never closes before the end of the file'
              : `a quoted field runs past ${max} bytes`;
          return wholeLine(buf, start, eof, max, 'MALFORMED_QUOTES', `${why}; only its opening line is set aside`);
        }
        if (q + 1 < n && buf[q + 1] === QUOTE) {
          parts.push(buf.subarray(j, q + 1));
          j = q + 2;
          continue;
        }
        if (q + 1 >= n && !eof) return null; // cannot tell yet whether "" follows
        parts.push(buf.subarray(j, q));
        i = q + 1;
        break;
      }
      fields.push(Buffer.concat(parts).toString('utf8'));
      if (i < n) {
        const c = buf[i];
        if (c !== delim && c !== LF && c !== CR) {
          quoteError ??= `unexpected text after a closing quote in field ${fields.length}`;
          while (i < n && buf[i] !== delim && buf[i] !== LF && buf[i] !== CR) i++;
        }
      }
    } else {
      let j = i;
      while (j < n) {
        const c = buf[j];
        if (c === delim || c === LF || c === CR) break;
        j++;
      }
      if (j - start > max) return wholeLine(buf, start, eof, max, 'RECORD_TOO_LONG', `record longer than ${max} bytes`);
      if (j >= n && !eof) return null;
      fields.push(buf.toString('utf8', i, j));
      i = j;
    }
    let end: number;
    let next: number;
    if (i >= n) {
      if (!eof) return null;
      end = n;
      next = n;
    } else {
      const c = buf[i];
      if (c === delim) {
        i++;
        if (i >= n && eof) fields.push('');
        else continue;
        end = n;
        next = n;
      } else if (c === CR) {
        if (i + 1 >= n && !eof) return null;
        end = i;
        next = i + 1 < n && buf[i + 1] === LF ? i + 2 : i + 1;
      } else {
        end = i;
        next = i + 1;
      }
    }
    const rawBytes = buf.subarray(start, end);
    const rec: ParsedRecord = { fields, raw: rawBytes.toString('utf8'), length: next - start };
    if (!isUtf8(rawBytes)) rec.error = { code: 'INVALID_ENCODING', message: 'record is not valid UTF-8' };
    else if (quoteError) rec.error = { code: 'MALFORMED_QUOTES', message: quoteError };
    return rec;
  }
}
