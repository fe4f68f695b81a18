import fs from 'node:fs';
import path from 'node:path';

/** The repository root (libs/testing/src → ../../..). */
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Real bank files and sanctions lists written by other projects, kept in the repository (see its SOURCES.md). */
export const BANK_FILES_DIR = path.join(ROOT, 'fixtures', 'bank-files');

/**
 * A folder (or file) of the bank-file fixtures, e.g. `corpusDir('ach')` or `corpusDir('sanctions', 'ofactest')`.
 * Throws a clear error when it is missing instead of letting a test pass over nothing.
 */
export function corpusDir(...sub: string[]): string {
  const target = path.join(BANK_FILES_DIR, ...sub);
  if (!fs.existsSync(target)) throw new Error(`bank-file fixture not found: ${path.relative(ROOT, target)}`);
  return target;
}
