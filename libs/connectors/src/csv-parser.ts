import { isAscii, isUtf8 } from 'node:buffer';

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
  // the buffer decoded once, byte for character: an ASCII record is a slice of it (most files are all ASCII)
  const text = buf.toString('latin1');
  const ascii: AsciiCursor = { all: isAscii(buf), high: -1 };
  let pos = 0;
  while (pos < buf.length) {
    const rec = parseOne(buf, text, ascii, pos, options.delimiter, eof, max);
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

// a field's bytes: as they are, quoted (the quotes left out), or quoted with doubled quotes inside
const PLAIN = 0;
const QUOTED = 1;
const DOUBLED = 2;

/**
 * Where the buffer's next non-ASCII byte is (`all`: there is none), found once per stretch of ASCII records
 * rather than per record (no view of the record's bytes is made to ask).
 */
interface AsciiCursor {
  all: boolean;
  /** The index of the first byte ≥ 0x80 at or after the last position asked about (buf.length: none). */
  high: number;
}

/** Whether buf[start, end) is all ASCII. */
function asciiSpan(buf: Buffer, ascii: AsciiCursor, start: number, end: number): boolean {
  if (ascii.all) return true;
  if (ascii.high < start) {
    let i = start;
    while (i < buf.length && (buf[i] as number) < 0x80) i++;
    ascii.high = i;
  }
  return ascii.high >= end;
}

/**
 * A record's field spans (start, end, kind), reused from record to record (parseOne runs one at a time); its
 * first `ns` entries are the record's (emptying the array would drop its storage).
 */
const SPANS: number[] = [];

function parseOne(
  buf: Buffer,
  text: string,
  ascii: AsciiCursor,
  start: number,
  delim: number,
  eof: boolean,
  max: number,
): ParsedRecord | null {
  const n = buf.length;
  // the fields as byte spans (start, end, kind), decoded once the record is complete
  const spans = SPANS;
  let ns = 0;
  const span = (from: number, to: number, kind: number) => {
    spans[ns] = from;
    spans[ns + 1] = to;
    spans[ns + 2] = kind;
    ns += 3;
  };
  let i = start;
  let quoteError: string | undefined;
  for (;;) {
    if (i < n && buf[i] === QUOTE) {
      let j = i + 1;
      let kind = QUOTED;
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
          kind = DOUBLED;
          j = q + 2;
          continue;
        }
        if (q + 1 >= n && !eof) return null; // cannot tell yet whether "" follows
        span(i + 1, q, kind);
        i = q + 1;
        break;
      }
      if (i < n) {
        const c = buf[i];
        if (c !== delim && c !== LF && c !== CR) {
          quoteError ??= `unexpected text after a closing quote in field ${ns / 3}`;
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
      span(i, j, PLAIN);
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
        if (i >= n && eof) span(i, i, PLAIN);
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
    const fields: string[] = new Array<string>(ns / 3);
    let rec: ParsedRecord;
    if (asciiSpan(buf, ascii, start, end)) {
      // the common case: the record and its fields are slices of the decoded buffer (bytes = characters)
      const raw = text.slice(start, end);
      for (let k = 0; k < ns; k += 3) {
        const f = raw.slice((spans[k] as number) - start, (spans[k + 1] as number) - start);
        fields[k / 3] = spans[k + 2] === DOUBLED ? f.replaceAll('""', '"') : f;
      }
      rec = { fields, raw, length: next - start };
    } else {
      const rawBytes = buf.subarray(start, end);
      if (isUtf8(rawBytes)) {
        // decoded once; each field's byte offsets become string offsets in one walk over the bytes (a
        // continuation byte adds no character, a 4-byte sequence two UTF-16 units)
        const raw = rawBytes.toString('utf8');
        let b = start;
        let c = 0;
        for (let k = 0; k < ns; k += 3) {
          const fs = spans[k] as number;
          const fe = spans[k + 1] as number;
          for (; b < fs; b++) if (((buf[b] as number) & 0xc0) !== 0x80) c += (buf[b] as number) >= 0xf0 ? 2 : 1;
          const cs = c;
          for (; b < fe; b++) if (((buf[b] as number) & 0xc0) !== 0x80) c += (buf[b] as number) >= 0xf0 ? 2 : 1;
          const f = raw.slice(cs, c);
          fields[k / 3] = spans[k + 2] === DOUBLED ? f.replaceAll('""', '"') : f;
        }
        rec = { fields, raw, length: next - start };
      } else {
        for (let k = 0; k < ns; k += 3) {
          const f = buf.toString('utf8', spans[k] as number, spans[k + 1] as number);
          fields[k / 3] = spans[k + 2] === DOUBLED ? f.replaceAll('""', '"') : f;
        }
        rec = { fields, raw: rawBytes.toString('utf8'), length: next - start };
        rec.error = { code: 'INVALID_ENCODING', message: 'record is not valid UTF-8' };
      }
    }
    if (!rec.error && quoteError) rec.error = { code: 'MALFORMED_QUOTES', message: quoteError };
    return rec;
  }
}
