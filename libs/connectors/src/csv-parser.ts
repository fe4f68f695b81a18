/**
 * RFC 4180 CSV record parser over decoded text. Works chunk by chunk: `parse(text, eof)` returns the
 * complete records found and how many characters it consumed; the caller keeps the rest for the
 * next chunk. Quoted fields may hold delimiters, doubled quotes and line breaks (LF or CRLF).
 * A record's `raw` is its exact source text without the line terminator.
 */
export interface ParsedRecord {
  fields: string[];
  raw: string;
  /** Characters consumed including the line terminator. */
  length: number;
  /** Set when the record is malformed (e.g. text after a closing quote, unterminated quote at EOF). */
  error?: { code: 'MALFORMED_QUOTES'; message: string };
}

const QUOTE = 34; // "
const LF = 10;
const CR = 13;

export function parseRecords(text: string, delimiter: string, eof: boolean): { records: ParsedRecord[]; consumed: number } {
  const delim = delimiter.charCodeAt(0);
  const records: ParsedRecord[] = [];
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    const rec = parseOne(text, pos, delim, eof);
    if (rec === null) break; // incomplete: wait for more text
    records.push(rec);
    pos += rec.length;
  }
  return { records, consumed: pos };
}

function parseOne(text: string, start: number, delim: number, eof: boolean): ParsedRecord | null {
  const n = text.length;
  const fields: string[] = [];
  let i = start;
  let error: ParsedRecord['error'];
  for (;;) {
    if (i < n && text.charCodeAt(i) === QUOTE) {
      // quoted field
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          if (!eof) return null;
          // unterminated quote: the rest of the input is this record
          value += text.slice(j);
          fields.push(value);
          return {
            fields,
            raw: text.slice(start),
            length: n - start,
            error: { code: 'MALFORMED_QUOTES', message: 'unterminated quoted field at end of file' },
          };
        }
        if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        if (q + 1 >= n && !eof) return null; // cannot tell yet whether "" follows
        value += text.slice(j, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      // after a closing quote: delimiter, line end or end of input
      if (i < n) {
        const c = text.charCodeAt(i);
        if (c !== delim && c !== LF && c !== CR) {
          error = { code: 'MALFORMED_QUOTES', message: `unexpected text after a closing quote in field ${fields.length}` };
          // skip to the next delimiter or line end, keeping the junk in the field for the raw record
          while (i < n) {
            const d = text.charCodeAt(i);
            if (d === delim || d === LF || d === CR) break;
            i++;
          }
        }
      }
    } else {
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === delim || c === LF || c === CR) break;
        j++;
      }
      if (j >= n && !eof) return null;
      fields.push(text.slice(i, j));
      i = j;
    }
    if (i >= n) {
      if (!eof) return null;
      return { fields, raw: text.slice(start, n), length: n - start, ...(error ? { error } : {}) };
    }
    const c = text.charCodeAt(i);
    if (c === delim) {
      i++;
      if (i >= n && eof) {
        fields.push('');
        return { fields, raw: text.slice(start, n), length: n - start, ...(error ? { error } : {}) };
      }
      continue;
    }
    // line end: LF, CRLF, or a lone CR
    let end = i;
    if (c === CR) {
      if (i + 1 >= n && !eof) return null;
      end = i + 1 < n && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
    } else {
      end = i + 1;
    }
    return { fields, raw: text.slice(start, i), length: end - start, ...(error ? { error } : {}) };
  }
}
