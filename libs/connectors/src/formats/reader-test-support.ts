import { FormatError, type BankEntry, type FormatReader, type FormatSummary } from './types';

// Helpers for the format readers' tests: read a whole input, or expect a FormatError.

/** Runs a reader over `input` to the end: every entry it yields and the summary it returns. */
export async function readAll(
  reader: FormatReader,
  input: AsyncIterable<Buffer>,
): Promise<{ entries: BankEntry[]; summary: FormatSummary }> {
  const gen = reader(input);
  const entries: BankEntry[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { entries, summary: r.value };
    entries.push(r.value);
  }
}

/** The FormatError a read rejects with; fails when it rejects with anything else or does not reject. */
export async function formatErrorOf(p: Promise<unknown>): Promise<FormatError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError, but the file was read');
}
