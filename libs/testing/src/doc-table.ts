import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The rows of the Markdown table in `docs/<file>` whose header line starts with `header` (the first such table
 * after `after`, when given): each row's cells, trimmed, with their backticks. Tests that hold a doc to the code
 * read its tables through this.
 */
export function docTable(file: string, header: string, after = ''): string[][] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', file), 'utf8');
  const from = after ? doc.indexOf(after) : 0;
  if (from < 0) throw new Error(`docs/${file} has no "${after}"`);
  const start = doc.indexOf(header, from);
  if (start < 0) throw new Error(`docs/${file} has no table headed "${header}"`);
  const lines = doc.slice(start).split('\n').slice(2);
  const end = lines.findIndex((l) => !l.trim().startsWith('|'));
  return lines.slice(0, end < 0 ? lines.length : end).map((l) =>
    l
      .trim()
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim()),
  );
}

/** The first `name` in backticks in a cell (`` `INVALID_ARGUMENT` `` → INVALID_ARGUMENT), else the cell. */
export function codeIn(cell: string): string {
  return /`([^`]+)`/.exec(cell)?.[1] ?? cell;
}
