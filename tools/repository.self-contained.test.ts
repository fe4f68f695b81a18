import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository stands alone: nothing it ships points outside it, and every file its docs name exists. */
const ROOT = path.resolve(__dirname, '..');
const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\0')
  .filter(Boolean);
const TEXT = /\.(ts|js|mjs|cjs|json|md|ya?ml|proto|graphql|sql|sh)$|^\.ci\/run$|^\.env\.example$|^\.gitignore$/;
// third-party data (fixtures/) and the lock file are not ours to word
const ours = tracked.filter((f) => TEXT.test(f) && !f.startsWith('fixtures/') && f !== 'package-lock.json');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

/** Absolute paths of a development machine, and the reference material kept beside the repository. */
const OUTSIDE = [
  /\/work\/(?:main|shared)\b/,
  /\/root\/[\w.-]/,
  /\/home\/[a-z][\w-]*\//,
  /\.\.\/shared\b/,
  /\b(?:DESIGN|CONVENTIONS|STACK)\.md\b/,
];

/** Repository paths named in a text: Markdown links, and `apps/…`, `libs/…`, `docs/…`, `tools/…`, `fixtures/…` file names. */
function namedPaths(file: string, text: string): string[] {
  const names = new Set<string>();
  for (const m of file.endsWith('.md') ? text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g) : []) {
    const target = m[1] as string;
    if (/^[a-z]+:/.test(target)) continue; // URLs
    names.add(path.normalize(path.join(path.dirname(file), target)));
  }
  for (const m of text.matchAll(
    /(?<![\w./-])((?:apps|libs|docs|tools|fixtures|ops|proto)\/[\w./-]*\w\.(?:ts|js|md|json|ya?ml|proto|sql|csv))\b/g,
  )) {
    names.add(m[1] as string);
  }
  return [...names];
}

describe('the repository stands alone', () => {
  it('names no path of a development machine and no file kept outside the repository', () => {
    const hits = ours.flatMap((f) => OUTSIDE.filter((re) => re.test(read(f))).map((re) => `${f}: ${re}`));
    expect(hits).toEqual([]);
  });

  it('mentions, in its docs, GraphQL descriptions and proto comments, only files that exist', () => {
    const exists = new Set(tracked);
    const isDir = (p: string) => tracked.some((t) => t.startsWith(`${p.replace(/\/$/, '')}/`));
    const missing = ours
      .filter((f) => /\.(md|proto)$/.test(f) || (f.endsWith('.ts') && !f.endsWith('.test.ts')))
      .flatMap((f) =>
        namedPaths(f, read(f))
          .filter((p) => !exists.has(p) && !isDir(p) && !p.includes('*'))
          .map((p) => `${f} → ${p}`),
      );
    expect(missing).toEqual([]);
  });

  it('finds a dangling reference when there is one', () => {
    expect(namedPaths('docs/x.md', 'see [the design](design.md) and libs/pipeline/src/nowhere.ts')).toEqual([
      'docs/design.md',
      'libs/pipeline/src/nowhere.ts',
    ]);
    expect(OUTSIDE.some((re) => re.test(`as ${'DESIGN'}.md says`))).toBe(true);
  });
});
