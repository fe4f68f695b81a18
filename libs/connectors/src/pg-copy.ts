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

/**
 * Streams `lines` (already COPY-text encoded, one row each, no trailing newline) into `COPY <target>
 * FROM STDIN` on the given client, inside whatever transaction the client has open. `target` is
 * a trusted identifier list built by the caller, never user input.
 */
export async function copyText(client: ClientBase, target: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const sink = client.query(copyFrom(`COPY ${target} FROM STDIN`));
  const CHUNK = 2000;
  function* chunks() {
    for (let i = 0; i < lines.length; i += CHUNK) yield `${lines.slice(i, i + CHUNK).join('\n')}\n`;
  }
  await pipeline(Readable.from(chunks()), sink);
}
