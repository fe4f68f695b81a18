// The console's build against its budget: small enough for a slow bank network, and nothing in it that
// loads from another origin (it must work offline and under the gateway's Content-Security-Policy).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './stack';

const DIST = path.join(ROOT, 'apps', 'console', 'dist');
/** gzipped bytes of all scripts and styles together */
const BUDGET = 150 * 1024;

describe('the console build', () => {
  beforeAll(() => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'apps/console/vite.config.mjs'],
      // a production build whatever the test runner's NODE_ENV (React's development build is half again as big)
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
    );
    if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  }, 120_000);

  it(`stays within ${BUDGET / 1024} kB gzipped and loads nothing from another origin`, () => {
    const assets = fs.readdirSync(path.join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    expect(assets.some((f) => f.endsWith('.js'))).toBe(true);
    const gzipped = assets.reduce((n, f) => n + gzipSync(fs.readFileSync(path.join(DIST, 'assets', f))).length, 0);
    console.log(
      `console bundle: ${assets.length} files, ${(gzipped / 1024).toFixed(1)} kB gzipped (budget ${BUDGET / 1024} kB)`,
    );
    expect(gzipped).toBeLessThanOrEqual(BUDGET);
    const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
    // every script and stylesheet the page loads is its own
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(m[1]).toMatch(/^(\/assets\/|data:)/);
  });
});
