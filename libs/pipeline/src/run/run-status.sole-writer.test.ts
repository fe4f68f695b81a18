import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const OWNER = path.join('libs', 'pipeline', 'src', 'run', 'run-status.ts');

/** Places in a source text that set job_runs.status: an UPDATE whose SET clause names status, or a TypeORM update of a run. */
export function statusWrites(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/UPDATE\s+job_runs\s+SET([\s\S]*?)(?:WHERE|`|'|$)/gi)) {
    if (/(^|[\s,])status\s*=/.test(m[1] ?? '')) found.push(m[0].replace(/\s+/g, ' ').slice(0, 80));
  }
  for (const m of text.matchAll(/getRepository\(JobRunEntity\)\s*\.(update|save|upsert)\(/g)) found.push(m[0]);
  return found;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'gen') return [];
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

describe("one owner of a run's status", () => {
  it('finds an UPDATE that sets the status, and not one that only reads it', () => {
    expect(statusWrites("`UPDATE job_runs SET status = 'FAILED', finished_at = now() WHERE id = $1`")).toHaveLength(1);
    expect(
      statusWrites(
        "`UPDATE job_runs SET records_read = $2, status_reason = $3 WHERE id = $1 AND status IN ('RUNNING')`",
      ),
    ).toEqual([]);
  });

  it('lets no module but run/run-status.ts write job_runs.status', () => {
    const writers = [
      ...sources(path.join(ROOT, 'apps')),
      ...sources(path.join(ROOT, 'libs')),
      ...sources(path.join(ROOT, 'tools')),
    ]
      .filter((file) => statusWrites(fs.readFileSync(file, 'utf8')).length > 0)
      .map((file) => path.relative(ROOT, file));
    expect(writers).toEqual([OWNER]);
  });
});
