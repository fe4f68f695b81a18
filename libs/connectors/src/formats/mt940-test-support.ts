// Helpers shared by the MT940/MT942 reader tests (not a test file itself).
import { readMt940 } from './mt940';
import { formatErrorOf, readAll } from './reader-test-support';

export async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

export const read = (input: AsyncIterable<Buffer>) => readAll(readMt940, input);

export const readText = (text: string) => read(chunks(text));

export const rejection = formatErrorOf;

/** One statement, lines joined with CRLF. */
export function statement(ref: string, fields: string[]): string {
  return [`:20:${ref}`, ...fields, '-', ''].join('\r\n');
}

export type Verdict =
  | { verdict: 'reconciled'; statements: number; entries: number }
  | {
      verdict: 'not reconciled';
      statements: number;
      entries: number;
      failed: [name: string, expected: string, found: string][];
    }
  | { verdict: 'rejected'; error: string };

export const ok = (statements: number, entries: number): Verdict => ({ verdict: 'reconciled', statements, entries });
export const bad = (statements: number, entries: number, ...failed: [string, string, string][]): Verdict => ({
  verdict: 'not reconciled',
  statements,
  entries,
  failed,
});
export const rejected = (error: string): Verdict => ({ verdict: 'rejected', error });
export const balance = (stmt: string, n: number, ccy: string, open = '60F', close = '62F') =>
  `${stmt}: opening :${open}: + ${n} statement lines :61: = closing :${close}: (${ccy})`;

/** Every file of corpus/mt940 and what the reader must make of it (see corpus/SOURCES.md). */

/** The account and statement number every rules test's statement opens with. */
export const HEAD = [':25:DE89370400440532013000', ':28C:7/1'];
