/**
 * The MT940/MT942 entry being read: its `:61:` statement line and the `:86:` fields after it, and the
 * {@link BankEntry} it becomes. SWIFT allows one `:86:` per `:61:`; more are accepted and their text
 * joined, but only as much is kept as `raw` and `reference` can show, so an entry followed by any
 * number of `:86:` fields holds bounded memory.
 */

import { parseInfo, type Info } from './mt940-fields';
import { contentLines, type Field } from './mt940-lines';
import { MAX_RAW_CHARS, type BankEntry } from './types';

/** Longest reference kept for one entry. */
export const MAX_REFERENCE_CHARS = 1024;

export interface PendingEntry {
  entry: Omit<BankEntry, 'reference' | 'counterpartyName' | 'counterpartyAccount' | 'raw'>;
  /** Source lines for `raw`, kept until they fill {@link MAX_RAW_CHARS} joined with "\n". */
  raw: string[];
  /** Length of `raw` joined with "\n". */
  rawChars: number;
  /** The parts of the reference (the customer reference, the text of each `:86:`), kept until they fill it. */
  reference: string[];
  /** Length of `reference` joined with " ". */
  referenceChars: number;
  /** The first structured `:86:` (its counterparty). */
  structured?: Info;
}

/** The entry of a `:61:` field, before its `:86:` fields. */
export function newPending(entry: PendingEntry['entry'], customerRef: string | null, f: Field): PendingEntry {
  const p: PendingEntry = { entry, raw: [], rawChars: 0, reference: [], referenceChars: 0 };
  addRaw(p, f.lines);
  if (customerRef !== null) addReference(p, customerRef);
  return p;
}

/** Adds one `:86:` field to the entry. */
export function addInfo(p: PendingEntry, f: Field): void {
  addRaw(p, f.lines);
  const info = parseInfo(contentLines(f));
  if (info.structured && !p.structured) p.structured = info;
  addReference(p, info.text);
}

/** The entry as read: `raw` and `reference` cut at their limits. */
export function toEntry(p: PendingEntry): BankEntry {
  const reference = p.reference.join(' ');
  return {
    ...p.entry,
    counterpartyAccount: p.structured?.account ?? null,
    counterpartyName: p.structured?.name ?? null,
    reference: reference === '' ? null : reference.slice(0, MAX_REFERENCE_CHARS),
    raw: p.raw.join('\n').slice(0, MAX_RAW_CHARS),
  };
}

/** Lines past {@link MAX_RAW_CHARS} of the joined text would be cut off anyway: they are not kept. */
function addRaw(p: PendingEntry, lines: string[]): void {
  for (const line of lines) {
    if (p.rawChars >= MAX_RAW_CHARS) return;
    p.rawChars += (p.raw.length ? 1 : 0) + line.length;
    p.raw.push(line);
  }
}

/** Empty parts are skipped; parts past {@link MAX_REFERENCE_CHARS} of the joined text are not kept. */
function addReference(p: PendingEntry, text: string): void {
  if (text === '' || p.referenceChars >= MAX_REFERENCE_CHARS) return;
  p.referenceChars += (p.reference.length ? 1 : 0) + text.length;
  p.reference.push(text);
}
