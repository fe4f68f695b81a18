import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A new temp directory, removed by the caller (or left for the OS in case of a crash). */
export function makeTempDir(prefix = 'strongroom-t-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes `content` to `name` inside `dir` (created when missing) and returns the absolute path. */
export function writeTempFile(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}
