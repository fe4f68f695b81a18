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
  const ascii: AsciiCursor = { all: isAscii(buf), high: -1 };
  // the records' field spans, side by side (a record parsed cleanly keeps where its fields are, not strings)
  const window: SpanWindow = { buf, text: undefined, spans: new Int32Array(Math.max(64, buf.length >> 3)), used: 0 };
  let pos = 0;
  while (pos < buf.length) {
    const rec = parseOne(buf, window, ascii, pos, options.delimiter, eof, max);
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

/** The bytes a parse ran over, shared by its records: their field spans side by side, and the bytes as text once asked. */
interface SpanWindow {
  buf: Buffer;
  /** The bytes decoded byte for character (made once, when an ASCII record's text is first asked for). */
  text: string | undefined;
  /** Each record's (start, end, kind) per field, from its `at`. */
  spans: Int32Array;
  used: number;
}

/** Copies a record's `ns / 3` field spans into the window; returns where they start. */
function keepSpans(window: SpanWindow, spans: readonly number[], ns: number): number {
  if (window.used + ns > window.spans.length) {
    const grown = new Int32Array(Math.max(2 * window.spans.length, window.used + ns));
    grown.set(window.spans.subarray(0, window.used));
    window.spans = grown;
  }
  const at = window.used;
  for (let k = 0; k < ns; k++) window.spans[at + k] = spans[k] as number;
  window.used += ns;
  return at;
}

/**
 * Decodes the fields of a valid UTF-8 record whose text is `raw` (decoded from buf[start…]): each field's byte
 * offsets become string offsets in one walk over the bytes (a continuation byte adds no character, a 4-byte
 * sequence two UTF-16 units). `spans[from, from + ns)` are its fields' (start, end, kind).
 */
function decodeUtf8Fields(
  buf: Buffer,
  start: number,
  spans: ArrayLike<number>,
  from: number,
  ns: number,
  raw: string,
  fields: string[],
): void {
  let b = start;
  let c = 0;
  for (let k = 0; k < ns; k += 3) {
    const fs = spans[from + k] as number;
    const fe = spans[from + k + 1] as number;
    for (; b < fs; b++) if (((buf[b] as number) & 0xc0) !== 0x80) c += (buf[b] as number) >= 0xf0 ? 2 : 1;
    const cs = c;
    for (; b < fe; b++) if (((buf[b] as number) & 0xc0) !== 0x80) c += (buf[b] as number) >= 0xf0 ? 2 : 1;
    const f = raw.slice(cs, c);
    fields[k / 3] = spans[from + k + 2] === DOUBLED ? f.replaceAll('""', '"') : f;
  }
}

/**
 * A record parsed cleanly (its quotes well formed, its bytes UTF-8): it keeps where its fields are in the bytes,
 * and decodes its fields and text only when they are asked for — the values are those an eagerly decoded record
 * has. A reader that works on bytes (the transaction mapper's fast path, the COPY rendering) asks for neither.
 * The CSV source sets `recordNo` and `byteEnd` and hands it on as a SourceRecord.
 */
export class SpannedRecord implements ParsedRecord {
  recordNo = 0;
  byteEnd = 0;
  /** Never set: a record with an error is not a SpannedRecord (declared for readers of ParsedRecord). */
  declare readonly error?: undefined;
  declare readonly truncated?: undefined;
  private decodedFields: string[] | undefined;
  private decodedRaw: string | undefined;

  constructor(
    private readonly window: SpanWindow,
    /** The record's first byte in `bytes`. */
    readonly start: number,
    /** Just past its last byte, before the line terminator. */
    readonly end: number,
    readonly length: number,
    private readonly at: number,
    /** How many fields the record has. */
    readonly fieldCount: number,
    /** Whether every byte of the record is ASCII. */
    readonly ascii: boolean,
  ) {}

  /** The bytes the record is in (its own at [start, end)). */
  get bytes(): Buffer {
    return this.window.buf;
  }

  /** Where field `k`'s value starts in `bytes` (inside its quotes when quoted). */
  fieldStart(k: number): number {
    return this.window.spans[this.at + 3 * k] as number;
  }

  /** Just past field `k`'s value. */
  fieldEnd(k: number): number {
    return this.window.spans[this.at + 3 * k + 1] as number;
  }

  /** Whether field `k` holds doubled quotes (its value is not its bytes as they are). */
  fieldEscaped(k: number): boolean {
    return this.window.spans[this.at + 3 * k + 2] === DOUBLED;
  }

  get raw(): string {
    if (this.decodedRaw === undefined) {
      this.decodedRaw = this.ascii
        ? this.text().slice(this.start, this.end)
        : this.window.buf.toString('utf8', this.start, this.end);
    }
    return this.decodedRaw;
  }

  set raw(value: string) {
    this.decodedRaw = value;
  }

  get fields(): string[] {
    if (this.decodedFields === undefined) {
      const n = this.fieldCount;
      const fields: string[] = new Array<string>(n);
      const spans = this.window.spans;
      if (this.ascii) {
        const text = this.text();
        for (let k = 0; k < n; k++) {
          const f = text.slice(spans[this.at + 3 * k] as number, spans[this.at + 3 * k + 1] as number);
          fields[k] = spans[this.at + 3 * k + 2] === DOUBLED ? f.replaceAll('""', '"') : f;
        }
      } else {
        decodeUtf8Fields(this.window.buf, this.start, spans, this.at, 3 * n, this.raw, fields);
      }
      this.decodedFields = fields;
    }
    return this.decodedFields;
  }

  set fields(value: string[]) {
    this.decodedFields = value;
  }

  /** Whether the record is a blank line (empty, or one field that is only white space), as the CSV source skips it. */
  blank(): boolean {
    if (this.start === this.end) return true;
    if (this.fieldCount !== 1) return false;
    const buf = this.window.buf;
    let other = false;
    for (let i = this.start; i < this.end; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) other = true;
      else if (c !== 32 && (c < 9 || c > 13)) return false; // a character that trimming keeps
    }
    return other ? this.raw.trim() === '' : true;
  }

  /** The window's bytes as text, byte for character (an ASCII record's text is a slice of it). */
  private text(): string {
    this.window.text ??= this.window.buf.toString('latin1');
    return this.window.text;
  }
}

/**
 * A record's field spans (start, end, kind), reused from record to record (parseOne runs one at a time); its
 * first `ns` entries are the record's (emptying the array would drop its storage).
 */
const SPANS: number[] = [];

function parseOne(
  buf: Buffer,
  window: SpanWindow,
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
    const isAsciiRecord = asciiSpan(buf, ascii, start, end);
    if (isAsciiRecord || isUtf8(buf.subarray(start, end))) {
      // its fields are decoded only when asked (SpannedRecord); one with a stray quote has them decoded now
      const rec = new SpannedRecord(
        window,
        start,
        end,
        next - start,
        keepSpans(window, spans, ns),
        ns / 3,
        isAsciiRecord,
      );
      if (!quoteError) return rec;
      return {
        fields: rec.fields,
        raw: rec.raw,
        length: rec.length,
        error: { code: 'MALFORMED_QUOTES', message: quoteError },
      };
    }
    const fields: string[] = new Array<string>(ns / 3);
    for (let k = 0; k < ns; k += 3) {
      const f = buf.toString('utf8', spans[k] as number, spans[k + 1] as number);
      fields[k / 3] = spans[k + 2] === DOUBLED ? f.replaceAll('""', '"') : f;
    }
    return {
      fields,
      raw: buf.toString('utf8', start, end),
      length: next - start,
      error: { code: 'INVALID_ENCODING', message: 'record is not valid UTF-8' },
    };
  }
}
