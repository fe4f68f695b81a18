import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { type ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Escapes one value for PostgreSQL's COPY text format; null becomes \N. Backslash, tab, newline and
 * carriage return are the characters that need escaping.
 */
export function copyEscape(value: string | null): string {
  if (value === null) return '\\N';
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

const NEWLINE = 0x0a;

/**
 * Rows kept as bytes in one growing buffer: lines of UTF-8 text, each ended by "\n" (a digest input, a COPY
 * text payload), or binary COPY tuples (a COPY binary payload, without its header and trailer: copyBytes adds
 * them). Built row by row; the bytes live outside the JavaScript heap, so a batch held while it waits for its
 * commit costs the garbage collector nothing, and the payload goes to the socket as it is (no joining of
 * strings, no second encoding).
 */
export class LineBuffer {
  private buf: Buffer;
  private len = 0;
  /** Byte offset just past each line's "\n". */
  private readonly ends: number[] = [];

  constructor(expectedBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(256, expectedBytes));
  }

  /** Lines ended so far. */
  get lines(): number {
    return this.ends.length;
  }

  /** Bytes written so far (the open line included). */
  get byteLength(): number {
    return this.len;
  }

  private room(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + bytes));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Appends text to the open line. */
  write(text: string): void {
    this.room(text.length * 3); // a UTF-16 unit is at most 3 bytes of UTF-8
    this.len += this.buf.write(text, this.len);
  }

  /** Ends the open line with "\n". */
  endLine(): void {
    this.room(1);
    this.buf[this.len++] = NEWLINE;
    this.ends.push(this.len);
  }

  /** Empties the buffer (its memory is kept for the next rows). */
  clear(): void {
    this.len = 0;
    this.ends.length = 0;
  }

  /** Ends the open row without a newline (a binary COPY tuple). */
  endRow(): void {
    this.ends.push(this.len);
  }

  /** Appends a big-endian 16-bit integer (a binary tuple's field count). */
  int16(n: number): void {
    this.room(2);
    this.len = this.buf.writeInt16BE(n, this.len);
  }

  /** Appends a big-endian 32-bit integer. */
  int32(n: number): void {
    this.room(4);
    this.len = this.buf.writeInt32BE(n, this.len);
  }

  /** Appends a few bytes as they are (a byte loop: Buffer.copy costs about a microsecond a call). */
  append(bytes: Buffer): void {
    this.room(bytes.length);
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < bytes.length; i++) buf[at++] = bytes[i] as number;
    this.len = at;
  }

  /** A binary COPY field of a text type: the value's UTF-8 bytes after their length; null as length -1. */
  textField(value: string | null): void {
    if (value === null) return this.int32(-1);
    this.room(4 + value.length * 3);
    const n = this.buf.write(value, this.len + 4);
    this.buf.writeInt32BE(n, this.len);
    this.len += 4 + n;
  }

  /** A binary COPY field of type bigint (a safe integer). */
  int8Field(n: number): void {
    this.room(12);
    this.buf.writeInt32BE(8, this.len);
    this.buf.writeInt32BE(Math.floor(n / 2 ** 32), this.len + 4);
    this.buf.writeUInt32BE(n >>> 0, this.len + 8);
    this.len += 12;
  }

  /**
   * Appends, as binary COPY fields, the first `kinds.length` columns of the COPY-text line `src[from, to)`
   * (tab-separated, backslash escapes, \N for null; no newline). Text columns are unescaped; `numeric` must
   * be a plain decimal ("-1234.50"; its display scale is its digits after the point, as when PostgreSQL
   * parses the text), `timestamptz` UTC ISO 8601 "YYYY-MM-DDTHH:MM:SS[.f…]Z", `date` "YYYY-MM-DD" (years
   * 0001–9999). One pass over the bytes, nothing allocated; a value in another form throws.
   */
  copyTextToBinary(src: Buffer, from: number, to: number, kinds: readonly CopyFieldKind[]): void {
    // each field's bytes at most once, plus length words and a numeric's header and rounding
    this.room(to - from + kinds.length * 16);
    const buf = this.buf;
    let at = this.len;
    let p = from;
    for (let k = 0; k < kinds.length; k++) {
      if (p > to) throw new Error(`COPY line has fewer than ${kinds.length} columns`);
      if (src[p] === BACKSLASH && src[p + 1] === 78 && (p + 2 === to || src[p + 2] === TAB)) {
        at = buf.writeInt32BE(-1, at); // \N
        p += 3;
        continue;
      }
      const kind = kinds[k];
      if (kind === 'text') {
        // one pass: copy up to the tab, unescaping
        const lenAt = at;
        at += 4;
        let i = p;
        for (; i < to; i++) {
          let c = src[i] as number;
          if (c === TAB) break;
          if (c === BACKSLASH && i + 1 < to) {
            const e = src[++i] as number;
            c = e === 116 ? TAB : e === 110 ? NEWLINE : e === 114 ? 13 : e;
          }
          buf[at++] = c;
        }
        buf.writeInt32BE(at - lenAt - 4, lenAt);
        p = i + 1;
        continue;
      }
      let q = p;
      while (q < to && src[q] !== TAB) q++;
      at = typedFieldAt(kind, buf, at, src, p, q);
      p = q + 1;
    }
    this.len = at;
  }

  /**
   * Appends one column to the open line, COPY-text escaped (\N for null) after a tab unless `first`, and the
   * same value to `tuple` as a binary COPY field of `kind` — the canonical line and the COPY tuple in one pass,
   * with no string built (what writing the line and then copyTextToBinary give). A `numeric`, `timestamptz` or
   * `date` value must be in the form copyTextToBinary takes; it is converted from the bytes just written.
   */
  columnPair(value: string | null, kind: CopyFieldKind, tuple: LineBuffer, first = false): void {
    const n = value === null ? 2 : value.length;
    this.room(1 + 2 * n);
    if (!first) this.buf[this.len++] = TAB;
    if (value === null) {
      this.buf[this.len++] = BACKSLASH;
      this.buf[this.len++] = 78; // N
      tuple.int32(-1);
      return;
    }
    const a = this.buf;
    const from = this.len;
    if (kind !== 'text') {
      // the typed forms are ASCII without characters to escape
      for (let k = 0; k < n; k++) {
        const c = value.charCodeAt(k);
        if (c < 0x21 || c > 0x7e || c === BACKSLASH) throw new Error(`${NOT_A[kind]}: ${value}`);
        a[from + k] = c;
      }
      this.len = from + n;
      tuple.room(n + 16);
      tuple.len = typedFieldAt(kind, tuple.buf, tuple.len, a, from, this.len);
      return;
    }
    tuple.room(4 + n);
    const b = tuple.buf;
    let i = from;
    let j = tuple.len + 4;
    for (let k = 0; k < n; k++) {
      const c = value.charCodeAt(k);
      if (c >= 0x80) {
        // not ASCII: the field again as UTF-8 (escaped on the line, as it is in the tuple)
        this.len = from;
        this.write(copyEscape(value));
        tuple.textField(value);
        return;
      }
      b[j++] = c;
      if (c === BACKSLASH || c === TAB || c === NEWLINE || c === 13) {
        a[i++] = BACKSLASH;
        a[i++] = c === BACKSLASH ? BACKSLASH : c === TAB ? 116 : c === NEWLINE ? 110 : 114;
      } else {
        a[i++] = c;
      }
    }
    b.writeInt32BE(n, tuple.len);
    this.len = i;
    tuple.len = j;
  }

  /**
   * columnPair of the value whose UTF-8 bytes are src[from, to), after a tab: the same line and tuple bytes as
   * columnPair of the string those bytes decode to, copied from the bytes (no string made). `doubledQuotes`: the
   * bytes are a quoted CSV field's, each quote in the value written twice (the value has one of each pair).
   */
  columnPairBytes(
    src: Uint8Array,
    from: number,
    to: number,
    kind: CopyFieldKind,
    tuple: LineBuffer,
    doubledQuotes = false,
  ): void {
    const n = to - from;
    this.room(1 + 2 * n);
    const a = this.buf;
    a[this.len++] = TAB;
    const start = this.len;
    if (kind !== 'text') {
      // the typed forms are ASCII without characters to escape
      for (let k = 0; k < n; k++) {
        const c = src[from + k] as number;
        if (c < 0x21 || c > 0x7e || c === BACKSLASH)
          throw new Error(`${NOT_A[kind]}: ${Buffer.from(src.subarray(from, to)).toString('utf8')}`);
        a[start + k] = c;
      }
      this.len = start + n;
      tuple.room(n + 16);
      tuple.len = typedFieldAt(kind, tuple.buf, tuple.len, a, start, this.len);
      return;
    }
    tuple.room(4 + n);
    const b = tuple.buf;
    let i = start;
    let j = tuple.len + 4;
    for (let k = 0; k < n; k++) {
      const c = src[from + k] as number;
      if (c === QUOTE && doubledQuotes) k++; // the pair's second quote is not in the value
      b[j++] = c;
      if (c === BACKSLASH || c === TAB || c === NEWLINE || c === 13) {
        a[i++] = BACKSLASH;
        a[i++] = c === BACKSLASH ? BACKSLASH : c === TAB ? 116 : c === NEWLINE ? 110 : 114;
      } else {
        a[i++] = c;
      }
    }
    b.writeInt32BE(j - tuple.len - 4, tuple.len);
    this.len = i;
    tuple.len = j;
  }

  /** copyTextToBinary of line `i` of `lines` (another buffer), without its "\n". */
  copyLineToBinary(lines: LineBuffer, i: number, kinds: readonly CopyFieldKind[]): void {
    this.copyTextToBinary(lines.buf, lines.start(i), (lines.ends[i] as number) - 1, kinds);
  }

  /** Where line `i` starts (its first byte). */
  start(i: number): number {
    return i === 0 ? 0 : (this.ends[i - 1] as number);
  }

  /** Lines [from, to) as bytes, each with its "\n" (a view, not a copy). */
  span(from: number, to: number): Buffer {
    return this.buf.subarray(this.start(from), to === 0 ? 0 : (this.ends[to - 1] as number));
  }

  /** Line `i` as bytes, with its "\n" (a view). */
  line(i: number): Buffer {
    return this.span(i, i + 1);
  }

  /** Line `i` as text, without its "\n". */
  text(i: number): string {
    return this.buf.toString('utf8', this.start(i), (this.ends[i] as number) - 1);
  }

  /** Every ended line (a view). */
  bytes(): Buffer {
    return this.span(0, this.ends.length);
  }
}

/** The kinds of column copyTextToBinary converts. */
export type CopyFieldKind = 'text' | 'numeric' | 'timestamptz' | 'date';

const TAB = 0x09;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/** The value of the ASCII digits src[from, to). */
function digits(src: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (src[i] as number) - 48;
    if (d < 0 || d > 9) throw new Error(`not digits: ${src.toString('utf8', from, to)}`);
    n = n * 10 + d;
  }
  return n;
}

/** Days from 2000-01-01 to the date "YYYY-MM-DD" at src[at] (proleptic Gregorian). */
function daysSince2000(src: Buffer, at: number): number {
  if (src[at + 4] !== 45 || src[at + 7] !== 45) throw new Error(`not a date: ${src.toString('utf8', at, at + 10)}`);
  // days from civil (H. Hinnant): March-based years, so the leap day is the year's last
  const m = digits(src, at + 5, at + 7);
  const y = digits(src, at, at + 4) - (m <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + digits(src, at + 8, at + 10) - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 730_425; // 730,425: days from 0000-03-01 to 2000-01-01
}

/** The error for a value not in its kind's form (as copyTextToBinary words it). */
const NOT_A: Record<Exclude<CopyFieldKind, 'text'>, string> = {
  numeric: 'not a plain decimal',
  timestamptz: 'not a UTC timestamp',
  date: 'not a date',
};

/** Writes the value src[p, q) of a typed kind at buf[at] as its binary COPY field; returns the offset after it. */
function typedFieldAt(
  kind: Exclude<CopyFieldKind, 'text'>,
  buf: Buffer,
  at: number,
  src: Buffer,
  p: number,
  q: number,
): number {
  return kind === 'numeric'
    ? numericAt(buf, at, src, p, q)
    : kind === 'timestamptz'
      ? timestamptzAt(buf, at, src, p, q)
      : dateAt(buf, at, src, p, q);
}

/** Writes the date src[p, q) ("YYYY-MM-DD") at buf[at] as a binary date field; returns the offset after it. */
function dateAt(buf: Buffer, at: number, src: Buffer, p: number, q: number): number {
  if (q - p !== 10) throw new Error(`not a date: ${src.toString('utf8', p, q)}`);
  at = buf.writeInt32BE(4, at);
  return buf.writeInt32BE(daysSince2000(src, p), at);
}

/** Base-10000 digits of one numeric (at most 40 decimal digits in the sink: 12 groups; room for more). */
const GROUPS = new Array<number>(64).fill(0);

/**
 * Writes the plain decimal src[p, q) at buf[at] as a binary numeric field (length, ndigits, weight, sign,
 * display scale, base-10000 digits aligned on the point); returns the offset after it.
 */
function numericAt(buf: Buffer, at: number, src: Buffer, p: number, q: number): number {
  const bad = () => new Error(`not a plain decimal: ${src.toString('utf8', p, q)}`);
  const neg = src[p] === 45;
  const from = neg ? p + 1 : p;
  let point = q;
  for (let i = from; i < q; i++) if (src[i] === 46) point = i;
  const intDigits = point - from;
  const scale = point < q ? q - point - 1 : 0;
  if (intDigits < 1 || (point < q && scale < 1) || intDigits + scale > 4 * (GROUPS.length - 2)) throw bad();
  // the integer part's first group may be short, the fraction's last one is filled with zeros
  const lead = (4 - (intDigits % 4)) % 4;
  let n = 0;
  let g = 0;
  let k = lead;
  for (let i = from; i < q; i++) {
    if (i === point) continue;
    const d = (src[i] as number) - 48;
    if (d < 0 || d > 9) throw bad();
    g = g * 10 + d;
    if (++k === 4) {
      GROUPS[n++] = g;
      g = 0;
      k = 0;
    }
  }
  if (k > 0) GROUPS[n++] = g * 10 ** (4 - k);
  let weight = (lead + intDigits) / 4 - 1;
  let first = 0;
  while (first < n && GROUPS[first] === 0) {
    first++;
    weight--;
  }
  while (n > first && GROUPS[n - 1] === 0) n--;
  const count = n - first;
  if (count === 0) weight = 0;
  at = buf.writeInt32BE(8 + 2 * count, at);
  at = buf.writeInt16BE(count, at);
  at = buf.writeInt16BE(weight, at);
  at = buf.writeUInt16BE(neg && count > 0 ? 0x4000 : 0, at);
  at = buf.writeInt16BE(scale, at);
  for (let i = first; i < n; i++) at = buf.writeInt16BE(GROUPS[i] as number, at);
  return at;
}

/**
 * Writes the UTC timestamp src[p, q) ("YYYY-MM-DDTHH:MM:SS[.f…]Z", up to 6 fraction digits) at buf[at] as a
 * binary timestamptz field (microseconds since 2000-01-01 UTC); returns the offset after it.
 */
function timestamptzAt(buf: Buffer, at: number, src: Buffer, p: number, q: number): number {
  const z = q - 1;
  if (q - p < 20 || src[p + 10] !== 84 || src[p + 13] !== 58 || src[p + 16] !== 58 || src[z] !== 90)
    throw new Error(`not a UTC timestamp: ${src.toString('utf8', p, q)}`);
  const secs =
    daysSince2000(src, p) * 86_400 +
    digits(src, p + 11, p + 13) * 3600 +
    digits(src, p + 14, p + 16) * 60 +
    digits(src, p + 17, p + 19);
  let us = 0;
  if (z > p + 19) {
    const places = z - (p + 20);
    if (src[p + 19] !== 46 || places < 1 || places > 6)
      throw new Error(`not a UTC timestamp: ${src.toString('utf8', p, q)}`);
    us = digits(src, p + 20, z) * 10 ** (6 - places);
  }
  at = buf.writeInt32BE(8, at);
  if (Math.abs(secs) < 9e9) {
    // exact in a double (within about 285 years of 2000)
    const micros = secs * 1_000_000 + us;
    const hi = Math.floor(micros / 2 ** 32);
    at = buf.writeInt32BE(hi, at);
    return buf.writeUInt32BE(micros - hi * 2 ** 32, at);
  }
  return buf.writeBigInt64BE(BigInt(secs) * 1_000_000n + BigInt(us), at);
}

/** COPY payload is sent in pieces of at most this many bytes (the stream's backpressure applies). */
const PIECE = 256 * 1024;

/** A binary COPY payload's header (signature, flags, no extension) and trailer (field count -1). */
const BINARY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * Streams `payload` into `COPY <target> FROM STDIN` on the given client, inside whatever transaction the
 * client has open: COPY-text rows, each ended by "\n", or with `binary` binary COPY tuples (the header and
 * trailer are added here). `target` is a trusted identifier list built by the caller, never user input.
 */
export async function copyBytes(
  client: ClientBase,
  target: string,
  payload: Buffer,
  format: 'text' | 'binary' = 'text',
): Promise<void> {
  if (payload.length === 0) return;
  const binary = format === 'binary';
  const sink = client.query(copyFrom(`COPY ${target} FROM STDIN${binary ? ' (FORMAT binary)' : ''}`));
  function* pieces() {
    if (binary) yield BINARY_HEADER;
    for (let i = 0; i < payload.length; i += PIECE) yield payload.subarray(i, Math.min(payload.length, i + PIECE));
    if (binary) yield BINARY_TRAILER;
  }
  await pipeline(Readable.from(pieces(), { objectMode: false }), sink);
}

/**
 * Streams `lines` (already COPY-text encoded, one row each, no trailing newline) into `COPY <target>
 * FROM STDIN` (see copyBytes).
 */
export async function copyText(client: ClientBase, target: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const out = new LineBuffer(lines.length * 128);
  for (const line of lines) {
    out.write(line);
    out.endLine();
  }
  await copyBytes(client, target, out.bytes());
}
