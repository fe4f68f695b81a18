/**
 * The MT940/MT942 line tokenizer: strips the SWIFT envelope and DOS-PCC framing from each line, finds
 * the `:TAG:` that opens a field and gathers its continuation lines, and gives the content of a field
 * (its lines without the tag, or its single-line value).
 */

import { FormatError, MAX_RAW_CHARS } from './types';

/**
 * Longest field accepted, in lines and in characters. SWIFT's longest field (:86:) has 6 lines of 65
 * characters; a field past these limits is not MT940 (a lost tag, a binary file), and is rejected
 * rather than buffered.
 */
export const MAX_FIELD_LINES = 100;
export const MAX_FIELD_CHARS = MAX_RAW_CHARS;

export interface Field {
  tag: string;
  line: number;
  /** Source lines (the first with its `:TAG:`). */
  lines: string[];
  chars: number;
}

const TAG = /^:([0-9A-Z]{2,3}):/;

/** The field a line opens with its `:TAG:`, or undefined when the line carries no tag. */
export function openField(content: string, lineNo: number): Field | undefined {
  const tag = TAG.exec(content);
  if (!tag) return undefined;
  const field: Field = { tag: tag[1] as string, line: lineNo, lines: [content], chars: content.length };
  checkFieldSize(field);
  return field;
}

/** Adds a continuation line to a field; a field longer than the limits above fails the file. */
export function continueField(field: Field, content: string): void {
  field.lines.push(content);
  field.chars += content.length;
  checkFieldSize(field);
}

function checkFieldSize(f: Field): void {
  const at = `line ${f.line}`;
  if (f.lines.length > MAX_FIELD_LINES)
    throw new FormatError(
      `field :${f.tag}: runs over more than ${MAX_FIELD_LINES} lines (the longest SWIFT field, :86:, has 6 lines of 65)`,
      at,
    );
  if (f.chars > MAX_FIELD_CHARS)
    throw new FormatError(
      `field :${f.tag}: is longer than ${MAX_FIELD_CHARS} characters (the longest SWIFT field, :86:, has 6 lines of 65)`,
      at,
    );
}

/**
 * Strips the SWIFT envelope and DOS-PCC framing from one line: `end` when the line ends a message
 * text ("-", "-}"), `content` the MT text left on it (null when none).
 */
export function unwrap(
  source: string,
  lineNo: number,
  onEofMark?: () => void,
): { end: boolean; content: string | null } {
  let s = source.startsWith('\x01') ? source.slice(1) : source; // SOH opens a DOS-PCC message
  // lenient: a DOS end-of-file mark (Ctrl-Z) where files were concatenated is dropped, and counted
  if (onEofMark && s.includes('\x1a')) {
    s = s.replaceAll('\x1a', '');
    onEofMark();
  }
  // eslint-disable-next-line no-control-regex
  s = s.replace(/\x03[\x03 ]*$/, ''); // ETX (and sector padding) closes it
  // eslint-disable-next-line no-control-regex
  const ctl = /[\x00-\x08\x0b\x0c\x0e-\x1f]/.exec(s);
  if (ctl) {
    const code = ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new FormatError(
      `control character U+${code} at column ${ctl.index + 1}: outside the SWIFT character set (only CR, LF and TAB are allowed)${code === '001A' ? '; a DOS end-of-file mark (Ctrl-Z) between concatenated statements is read with source.strictness: lenient' : ''}`,
      `line ${lineNo}`,
    );
  }
  let end = false;
  let rest = s;
  if (rest.trimEnd() === '-') return { end: true, content: null };
  if (rest.startsWith('-}')) {
    end = true;
    rest = rest.slice(2);
  }
  if (!end && !/^\{[1-5]:/.test(rest)) return { end, content: rest };
  while (rest.startsWith('{')) {
    const block = /^\{([1-5]):/.exec(rest);
    if (!block)
      throw new FormatError(
        `expected a SWIFT envelope block such as "{1:" or "{5:", found "${clip(rest)}"`,
        `line ${lineNo}`,
      );
    if (block[1] === '4') {
      rest = rest.slice(3);
      return { end, content: rest === '' ? null : rest };
    }
    const close = closingBrace(rest);
    if (close < 0) throw new FormatError(`envelope block {${block[1]}: is not closed on its line`, `line ${lineNo}`);
    rest = rest.slice(close + 1);
  }
  if (rest.trim() !== '')
    throw new FormatError(`expected nothing after the envelope blocks, found "${clip(rest)}"`, `line ${lineNo}`);
  return { end, content: null };
}

function closingBrace(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** A field's content: its lines, the first without its `:TAG:`. */
export function contentLines(f: Field): string[] {
  return [(f.lines[0] as string).slice(f.tag.length + 2), ...f.lines.slice(1)];
}

/** The value of a one-line field (blank continuation lines are allowed). */
export function singleLine(f: Field, label: string): string {
  const [first, ...more] = contentLines(f);
  const extra = more.find((l) => l.trim() !== '');
  if (extra !== undefined)
    throw new FormatError(
      `${label} :${f.tag}: continues on a second line ("${clip(extra)}"); expected one line`,
      `line ${f.line}`,
    );
  const v = (first as string).trim();
  if (v === '') throw new FormatError(`${label} :${f.tag}: is empty`, `line ${f.line}`);
  return v;
}

/** Source text quoted in a message, cut at 40 characters. */
export function clip(t: string): string {
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}
