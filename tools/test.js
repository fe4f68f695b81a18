#!/usr/bin/env node
// `npm test`: lint, typecheck, unit and integration tests of every project through Nx, never from
// the cache. Integration tests start their own PostgreSQL (libs/testing). Then the clock check: the
// test files marked `@clock-sensitive` run again with the whole machine's clock (test, engine, CLI and
// PostgreSQL processes) a year ahead, through libfaketime. Ends with one line
// "tests: N passed, M failed" summed over all Jest runs; the exit code is non-zero when anything failed.
//   node tools/test.js [targets…]   Nx targets only (e.g. `node tools/test.js lint`), no clock check
//   node tools/test.js --clock      the clock check only
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const CLOCK_MARK = '@clock-sensitive';
const CLOCK_SHIFT = process.env.STRONGROOM_TEST_CLOCK_SHIFT || '+365d';
const ENV = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };

const tally = { passed: 0, failed: 0 };

/** Runs a command, echoing its output and counting Jest's "Tests:" lines. Resolves with its exit code. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let tail = '';
    const count = (buf) => {
      const lines = (tail + buf.toString('utf8')).split('\n');
      tail = lines.pop();
      for (const line of lines) {
        if (line.includes('● Test suite failed to run')) tally.failed += 1; // a suite that could not run counts as a failure
        // eslint-disable-next-line no-control-regex -- strip ANSI colour codes
        const m = /^Tests:\s+(.*)$/.exec(line.replace(/\x1b\[[0-9;]*m/g, '').trim());
        if (!m) continue;
        tally.passed += Number((/(\d+) passed/.exec(m[1]) || [0, 0])[1]);
        tally.failed += Number((/(\d+) failed/.exec(m[1]) || [0, 0])[1]);
      }
    };
    child.stdout.on('data', (b) => (process.stdout.write(b), count(b)));
    child.stderr.on('data', (b) => (process.stderr.write(b), count(b))); // Jest reports on stderr
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Test files that carry the clock mark, grouped by the Jest config that runs them. */
function clockSensitiveFiles() {
  const groups = new Map();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts') && fs.readFileSync(p, 'utf8').includes(CLOCK_MARK)) {
        let project = path.dirname(p);
        while (!fs.existsSync(path.join(project, 'project.json'))) project = path.dirname(project);
        const config = path.join(project, e.name.endsWith('.int.test.ts') ? 'jest.int.config.js' : 'jest.config.js');
        groups.set(config, [...(groups.get(config) || []), p]);
      }
    }
  };
  for (const top of ['apps', 'libs']) walk(path.join(root, top));
  return groups;
}

async function clockCheck() {
  const groups = clockSensitiveFiles();
  const files = [...groups.values()].flat().length;
  const faketime = spawnSync('sh', ['-c', 'command -v faketime'], { encoding: 'utf8' }).stdout.trim();
  if (!faketime) {
    console.log(
      `\nclock check: SKIPPED (${files} files) — libfaketime is not installed here (Debian: apt-get install -y faketime)`,
    );
    return 0;
  }
  console.log(`\nclock check: ${files} ${CLOCK_MARK} test files with the clock at ${CLOCK_SHIFT}`);
  let code = 0;
  for (const [config, paths] of groups) {
    console.log(`\n> clock ${CLOCK_SHIFT}: jest --config ${path.relative(root, config)} (${paths.length} files)`);
    const args = ['-m', '-f', CLOCK_SHIFT, bin('jest'), '--config', config, '--runTestsByPath', ...paths];
    code = (await run(faketime, args)) || code;
  }
  return code;
}

async function main() {
  const argv = process.argv.slice(2);
  let code = 0;
  if (!argv.includes('--clock')) {
    const targets = argv.length ? argv : ['lint', 'typecheck', 'test', 'integration'];
    const nxArgs = [
      'run-many',
      '-t',
      ...targets,
      '--skip-nx-cache',
      '--output-style=static',
      '--parallel=2',
      '--nxBail=false',
    ];
    code = await run(bin('nx'), nxArgs);
  }
  if (!argv.length || argv.includes('--clock')) code = (await clockCheck()) || code;
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', process.env.CHROMIUM_PATH].find(
    (p) => p && fs.existsSync(p),
  );
  if (!chromium && (!argv.length || argv.includes('integration')))
    console.log(
      '\nbrowser tests: SKIPPED — the operator console was not tested in a browser: no chromium here (Debian: apt-get install -y chromium, or set CHROMIUM_PATH)',
    );
  console.log(`\ntests: ${tally.passed} passed, ${tally.failed} failed`);
  process.exit(code || (tally.failed ? 1 : 0));
}

main();
