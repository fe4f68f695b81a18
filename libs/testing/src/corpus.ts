import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The shared corpus of real banking files (`shared/corpus`, kept outside the repository). Found at
 * STRONGROOM_CORPUS_DIR, else in a `shared/corpus` folder next to the repository or any of its parent
 * folders, else at /work/shared/corpus (where the development machine keeps it; a fresh clone in a
 * temporary folder finds it there). Throws a clear error when it is nowhere.
 */
export function corpusDir(...sub: string[]): string {
  const candidates: string[] = [];
  if (process.env['STRONGROOM_CORPUS_DIR']) candidates.push(process.env['STRONGROOM_CORPUS_DIR']);
  for (let dir = ROOT; ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'shared', 'corpus'), path.join(dir, '..', 'shared', 'corpus'));
    if (path.dirname(dir) === dir) break;
  }
  candidates.push('/work/shared/corpus');
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'SOURCES.md')));
  if (!found) throw new Error(`the shared corpus was not found (looked in ${[...new Set(candidates)].slice(0, 4).join(', ')}, …); set STRONGROOM_CORPUS_DIR`);
  return path.join(path.resolve(found), ...sub);
}
