import { FormatError } from './types';

/**
 * Decodes a byte stream as text for the bank-format readers: UTF-8 while the bytes are valid UTF-8,
 * windows-1252 from the first chunk that is not (banks still send Latin-1/ANSI files; windows-1252
 * is a superset of its printable range). One encoding holds for the whole file: bytes that are not
 * UTF-8 after non-ASCII UTF-8 text fail the file (a silent switch would garble the text before). A UTF-8 byte-order mark is dropped. `encoding` tells which
 * one was used (after reading). Memory is one chunk plus at most 3 carried bytes.
 */
export class TextInput {
  encoding: 'utf-8' | 'windows-1252' = 'utf-8';
  /** Byte offset of the first chunk that held non-ASCII UTF-8 text (then the file cannot turn out windows-1252). */
  private nonAsciiAt: number | null = null;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private readonly cp1252 = { decode: decodeWindows1252 };

  constructor(private readonly input: AsyncIterable<Buffer>) {}

  /** Decoded text in pieces, in order. */
  async *chunks(): AsyncGenerator<string> {
    let carry: Buffer = Buffer.alloc(0);
    let first = true;
    let offset = 0; // file offset of the first byte not yet decoded (after a BOM, approximately)
    for await (const chunk of this.input) {
      let buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      if (first) {
        first = false;
        if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
        const utf16 = utf16Of(buf);
        if (utf16)
          throw new FormatError(
            `the file is ${utf16}; bank files are read as UTF-8 (or Windows-1252): convert it first, e.g. iconv -f UTF-16 -t UTF-8`,
            'byte 0',
          );
      }
      if (this.encoding === 'windows-1252') {
        carry = Buffer.alloc(0);
        yield this.cp1252.decode(buf);
        continue;
      }
      const cut = completeUtf8Prefix(buf);
      carry = Buffer.from(buf.subarray(cut));
      let text: string;
      try {
        text = this.utf8.decode(buf.subarray(0, cut));
      } catch {
        // switching is lossless only while everything so far was ASCII (the same in both encodings)
        if (this.nonAsciiAt !== null) {
          throw new FormatError(
            `the file mixes encodings: non-ASCII UTF-8 text from byte ${this.nonAsciiAt}, then bytes that are not UTF-8 after byte ${offset}`,
            `byte ${offset}`,
          );
        }
        this.encoding = 'windows-1252';
        carry = Buffer.alloc(0);
        offset += buf.length;
        yield this.cp1252.decode(buf);
        continue;
      }
      // eslint-disable-next-line no-control-regex
      if (this.nonAsciiAt === null && /[^\u0000-\u007f]/.test(text)) this.nonAsciiAt = offset;
      offset += cut;
      yield text;
    }
    if (carry.length) {
      // an incomplete UTF-8 sequence at the very end: not UTF-8 after all
      this.encoding = 'windows-1252';
      yield this.cp1252.decode(carry);
    }
  }

  /**
   * Lines without their terminator (LF, CRLF or a lone CR), numbered from 1. A line longer than
   * `maxLineChars` fails the file (no unbounded buffering).
   */
  async *lines(maxLineChars = 1 << 20): AsyncGenerator<{ text: string; lineNo: number }> {
    let pending = '';
    let lineNo = 0;
    for await (const piece of this.chunks()) {
      let text = pending + piece;
      let start = 0;
      for (;;) {
        const m = /\r\n|\n|\r/g;
        m.lastIndex = start;
        const hit = m.exec(text);
        if (!hit) break;
        if (hit[0] === '\r' && hit.index === text.length - 1) break; // maybe the CR of a CRLF split across chunks
        lineNo++;
        yield { text: text.slice(start, hit.index), lineNo };
        start = hit.index + hit[0].length;
      }
      text = text.slice(start);
      if (text.length > maxLineChars)
        throw new FormatError(`line is longer than ${maxLineChars} characters`, `line ${lineNo + 1}`);
      pending = text;
    }
    if (pending.endsWith('\r')) pending = pending.slice(0, -1);
    if (pending !== '') {
      lineNo++;
      yield { text: pending, lineNo };
    }
  }
}

/** Length of the longest prefix of `buf` that does not end inside a UTF-8 multi-byte sequence. */
function completeUtf8Prefix(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = buf[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** 0x80–0x9F of windows-1252 (undefined positions keep their C1 code point, as browsers do). */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * windows-1252 to text. Node's TextDecoder('windows-1252') decodes 0x80–0x9F as Latin-1 control
 * characters (so "€" would be lost), hence this table.
 */
export function decodeWindows1252(buf: Buffer): string {
  const latin1 = buf.toString('latin1');

  return /[\u0080-\u009f]/.test(latin1)
    ? latin1.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] as string)
    : latin1;
}

/** "UTF-16 (little-endian)" or "(big-endian)" when the file starts like one (a byte-order mark, or ASCII text every other byte). */
function utf16Of(b: Buffer): string | undefined {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'UTF-16 (little-endian, with a byte-order mark)';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'UTF-16 (big-endian, with a byte-order mark)';
  if (b.length >= 4 && b[0] !== 0 && b[1] === 0 && b[2] !== 0 && b[3] === 0) return 'UTF-16 (little-endian)';
  if (b.length >= 4 && b[0] === 0 && b[1] !== 0 && b[2] === 0 && b[3] !== 0) return 'UTF-16 (big-endian)';
  return undefined;
}
