import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, StrongroomError } from '@strongroom/errors';

/**
 * Where the engine may read source files from: below one of `roots`, never below `forbidden` (the
 * engine's home: keys, database, passwords) unless also below one of `allowedInForbidden` (its inbox),
 * and never in the kernel's pseudo file systems. Paths are compared after resolving symlinks, so a link
 * inside a root that points outside it is refused like the target itself.
 */
export interface SourceRoots {
  roots: readonly string[];
  forbidden: readonly string[];
  allowedInForbidden: readonly string[];
}

const PSEUDO = ['/proc', '/sys', '/dev'];

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (for files not there yet). */
function realish(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realish(parent), path.basename(abs));
  }
}

const within = (p: string, dir: string) =>
  p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`);

/** The roots as real paths (a root that does not exist yet is taken as written); `home` is the engine's STRONGROOM_HOME. */
export function sourceRoots(roots: readonly string[], home: string): SourceRoots {
  return {
    roots: roots.map(realish),
    forbidden: [realish(home)],
    // of the home, only its inbox, and only where a root covers it (a root set to the home itself opens no keys)
    allowedInForbidden: [realish(path.join(home, 'inbox'))],
  };
}

/** Whether a (real) path may be read as a source. */
function allowed(real: string, confine: SourceRoots): boolean {
  if (PSEUDO.some((d) => within(real, d))) return false;
  if (!confine.roots.some((r) => within(real, r))) return false;
  if (confine.forbidden.some((f) => within(real, f))) return confine.allowedInForbidden.some((a) => within(real, a));
  return true;
}

/**
 * Refuses a source path (or a job's base directory) outside the source roots with SOURCE_OUTSIDE_ROOTS.
 * The message names the path as given and the roots, never a byte of the file. Returns the path resolved
 * through its symlinks, which is what the caller must then open.
 */
export function confineSourcePath(file: string, confine: SourceRoots, what = 'source file'): string {
  const real = realish(file);
  if (!allowed(real, confine)) {
    throw new StrongroomError(
      ErrorCode.SOURCE_OUTSIDE_ROOTS,
      `${what} ${file} is outside the engine's source roots; move it into one, or add its folder to STRONGROOM_SOURCE_ROOTS`,
    );
  }
  return real;
}

/**
 * How a source path is shown to a caller who may not see the host's layout (viewers): relative to its
 * root, as "<root folder name>/<path below it>"; a path outside every root shows only its file name.
 */
export function rootRelativePath(file: string, confine: SourceRoots): string {
  if (!path.isAbsolute(file)) return file;
  const abs = path.resolve(file);
  const root = [...confine.roots].sort((a, b) => b.length - a.length).find((r) => within(abs, r));
  if (!root) return path.basename(abs);
  return path.join(path.basename(root), path.relative(root, abs));
}

/** `text` with every absolute path below a root shown as rootRelativePath would (e.g. in error messages). */
export function hideRootPaths(text: string, confine: SourceRoots): string {
  let out = text;
  for (const root of [...confine.roots].sort((a, b) => b.length - a.length)) {
    if (root === path.sep) continue;
    out = out.split(`${root}${path.sep}`).join(`${path.basename(root)}${path.sep}`);
  }
  return out;
}
