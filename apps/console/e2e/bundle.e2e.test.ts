// The console's build against its budget: small enough for a slow bank network, and nothing in it that
// loads from another origin (it must work offline and under the gateway's Content-Security-Policy).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './stack';

const DIST = path.join(ROOT, 'apps', 'console', 'dist');
/** gzipped bytes of the scripts and styles a page of the console loads first */
const PAGE_BUDGET = 150 * 1024;
/** gzipped bytes of everything, the explorer (GraphiQL, fetched when it is opened) included */
const TOTAL_BUDGET = 500 * 1024;

const gzipped = (f: string) => gzipSync(fs.readFileSync(path.join(DIST, 'assets', f))).length;
const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;

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

  it(`loads at most ${PAGE_BUDGET / 1024} kB gzipped first, ${TOTAL_BUDGET / 1024} kB in all, nothing from another origin`, () => {
    const assets = fs.readdirSync(path.join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    expect(assets.some((f) => f.endsWith('.js'))).toBe(true);
    const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
    const referenced = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    // every script and stylesheet the page loads is its own
    for (const ref of referenced) expect(ref).toMatch(/^(\/assets\/|data:)/);
    const first = referenced.filter((r) => r.startsWith('/assets/')).map((r) => r.slice('/assets/'.length));
    expect(first.length).toBeGreaterThan(0);
    const page = first.reduce((n, f) => n + gzipped(f), 0);
    const total = assets.reduce((n, f) => n + gzipped(f), 0);
    const explorer = assets.filter((f) => f.startsWith('ExplorerPage-'));
    expect(explorer.length).toBeGreaterThan(0); // the explorer is a chunk of its own, not in the first load
    for (const f of explorer) expect(first).not.toContain(f);
    console.log(
      `console bundle: first load ${first.length} files ${kB(page)} gzipped (budget ${kB(PAGE_BUDGET)}); ` +
        `all ${assets.length} files ${kB(total)} (budget ${kB(TOTAL_BUDGET)})`,
    );
    expect(page).toBeLessThanOrEqual(PAGE_BUDGET);
    expect(total).toBeLessThanOrEqual(TOTAL_BUDGET);
    // GraphiQL's embedded fonts are left out (the Content-Security-Policy would refuse them anyway)
    for (const f of assets.filter((a) => a.endsWith('.css')))
      expect(fs.readFileSync(path.join(DIST, 'assets', f), 'utf8')).not.toContain('@font-face');
  });
});
