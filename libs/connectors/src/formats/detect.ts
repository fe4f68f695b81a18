import { type BankFormat } from './types';

/** What a file looks like from its first bytes: a bank format, a plain data format, or unknown. */
export type DetectedFormat = BankFormat | 'csv' | 'jsonl' | 'xml' | 'unknown';

const XML_ROOTS: Record<string, BankFormat> = {
  BkToCstmrAcctRpt: 'camt052',
  BkToCstmrStmt: 'camt053',
  BkToCstmrDbtCdtNtfctn: 'camt054',
  CstmrCdtTrfInitn: 'pain001',
};

/** How many leading bytes {@link detectFormat} wants to see. */
export const DETECT_BYTES = 16 * 1024;

/**
 * Recognises a file from its head (the first {@link DETECT_BYTES} bytes): NACHA by its file header
 * record, BAI2 by its 01 record, SWIFT MT940/MT942 by their tags, ISO 20022 by the message's
 * namespace or root element, then JSON lines and CSV. Content decides, never the file name.
 */
export function detectFormat(head: Buffer): DetectedFormat {
  let text = head.toString('latin1');
  if (text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
  // eslint-disable-next-line no-control-regex
  const start = text.replace(/^[\s\u0000]+/, '');
  if (start === '') return 'unknown';
  if (start.startsWith('<')) {
    const ns = /urn:iso:std:iso:20022:tech:xsd:(camt\.05[234]|pain\.001)\.\d{3}\.\d{2}/.exec(start);
    if (ns) return (ns[1] as string).replace('.', '') as BankFormat;
    for (const [root, format] of Object.entries(XML_ROOTS))
      if (new RegExp(`<(\\w+:)?${root}[\\s>]`).test(start)) return format;
    return 'xml';
  }
  if (/^1\d\d[ \d]\d{9}[ \d]\d{9}\d{6}/.test(start)) return 'ach';
  if (/^01,[^,\n]*,[^,\n]*,\d{6},/.test(start)) return 'bai2';
  if (/^\{1:|^:20:|\r?\n:20:/.test(start) && /:(25|28C?|60[FM]|61|62[FM]|34F|13D?):/.test(start)) {
    return /:60[FM]:|:62[FM]:/.test(start) || !/:34F:|:13D?:|:90[CD]:/.test(start) ? 'mt940' : 'mt942';
  }
  if (start.startsWith('{')) return 'jsonl';
  const firstLine = start.split(/\r?\n/, 1)[0] as string;
  // eslint-disable-next-line no-control-regex
  if (/[,;\t|]/.test(firstLine) && !/[\u0000-\u0008]/.test(firstLine)) return 'csv';
  return 'unknown';
}

/**
 * The bank format a file most likely is when {@link detectFormat} does not recognise one: the shape of a
 * format whose header breaks its rules — a NACHA file of 94-character records whose file header is damaged,
 * a BAI2 file whose 01 record is malformed (it would otherwise pass for a CSV), SWIFT tags, an ISO 20022
 * namespace of an unusual version. Reading it with that format's reader names the real error; null when
 * nothing points to a bank format.
 */
export function likelyFormat(head: Buffer): BankFormat | null {
  let text = head.toString('latin1');
  if (text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
  // eslint-disable-next-line no-control-regex
  const start = text.replace(/^[\s\u0000]+/, '');
  if (start.startsWith('<')) {
    const ns = /(camt\.05[234]|pain\.001)\.\d{3}/.exec(start);
    return ns ? ((ns[1] as string).replace('.', '') as BankFormat) : null;
  }
  const lines = start.split(/\r?\n/);
  const first = lines[0] as string;
  // NACHA: record type 1 then 5 (a batch) or 9 (an empty file), 94 characters each, with or without line breaks
  const second = lines.length > 1 ? (lines[1] ?? '') : first.slice(94);
  if (/^1\d/.test(first) && /^[59]\d/.test(second)) return 'ach';
  // BAI2: an 01 file header followed by group (02), account (03), detail (16), continuation (88) or trailer records
  if (/^01,/.test(first) && lines.slice(1).some((l) => /^(02|03|16|49|88|98|99),/.test(l))) return 'bai2';
  // SWIFT MT940/MT942: a message starting with its reference (:20:) or a block-1 header
  if (/^(\{1:|:20:)/.test(first)) return /:34F:|:13D?:/.test(start) && !/:60[FM]:/.test(start) ? 'mt942' : 'mt940';
  return null;
}
