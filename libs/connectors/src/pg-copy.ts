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
 * Lines of text kept as UTF-8 bytes in one growing buffer, each ended by "\n": a batch's COPY payload
 * or digest input built row by row. The bytes live outside the JavaScript heap, so a batch held while
 * it waits for its commit costs the garbage collector nothing, and the payload goes to the socket as
 * it is (no joining of strings, no second encoding).
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

/** COPY payload is sent in pieces of at most this many bytes (the stream's backpressure applies). */
const PIECE = 256 * 1024;

/**
 * Streams `payload` (COPY-text rows, each ended by "\n") into `COPY <target> FROM STDIN` on the given
 * client, inside whatever transaction the client has open. `target` is a trusted identifier list built
 * by the caller, never user input.
 */
export async function copyBytes(client: ClientBase, target: string, payload: Buffer): Promise<void> {
  if (payload.length === 0) return;
  const sink = client.query(copyFrom(`COPY ${target} FROM STDIN`));
  function* pieces() {
    for (let i = 0; i < payload.length; i += PIECE) yield payload.subarray(i, Math.min(payload.length, i + PIECE));
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
