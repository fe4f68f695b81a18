// `serve` and `start` build the operator console (apps/console → apps/console/dist, which the gateway serves
// at `/`) when it is missing or older than its sources: a fresh clone gets a console with no extra command.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The newest modification time of the files under `dir` (0 when none). */
function newest(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let latest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    latest = Math.max(latest, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return latest;
}

/** Whether the console's build is missing or older than any of its sources. */
export function consoleStale(root: string): boolean {
  const app = path.join(root, 'apps', 'console');
  const built = path.join(app, 'dist', 'index.html');
  if (!fs.existsSync(built)) return true;
  const sources = Math.max(
    newest(path.join(app, 'src')),
    ...['index.html', 'vite.config.mjs'].map((f) => fs.statSync(path.join(app, f)).mtimeMs),
  );
  return sources > fs.statSync(built).mtimeMs;
}

/**
 * Builds the console when stale. A failed build does not stop the stack: the gateway then answers `/` with
 * a page that says how to build it. Returns what to tell the person, if anything.
 */
export function ensureConsoleBuilt(root: string): string | undefined {
  if (!consoleStale(root)) return undefined;
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!fs.existsSync(vite)) return 'operator console not built (vite is not installed: run npm ci)';
  const r = spawnSync(
    process.execPath,
    [vite, 'build', '--config', path.join(root, 'apps', 'console', 'vite.config.mjs')],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      // a production build whatever NODE_ENV the caller has (React's development build is half again as big)
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  if (r.status === 0) return 'operator console built';
  return `operator console build failed (npm run build:console shows why): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-1)[0] ?? ''}`;
}
