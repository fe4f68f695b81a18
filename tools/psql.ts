// psql for the benchmarks' side-by-side `\copy`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** psql from PATH or the Debian PostgreSQL packages, newest first; null when there is none. */
export function findPsql(): string | null {
  const versions = fs.existsSync('/usr/lib/postgresql')
    ? fs
        .readdirSync('/usr/lib/postgresql', { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
  const candidates = [
    'psql',
    ...versions.sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin/psql`),
  ];
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {
      // next
    }
  }
  return null;
}
