#!/usr/bin/env node
// `npm test`: lint, typecheck, unit and integration tests of every project through Nx, never from
// the cache. Integration tests start their own PostgreSQL (libs/testing). Ends with one line
// "tests: N passed, M failed" summed over all Jest runs; exit code is Nx's.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const nx = path.join(root, 'node_modules', '.bin', 'nx');
const targets = process.argv.slice(2).length ? process.argv.slice(2) : ['lint', 'typecheck', 'test', 'integration'];
const args = ['run-many', '-t', ...targets, '--skip-nx-cache', '--output-style=static', '--parallel=2', '--nxBail=false'];

const child = spawn(nx, args, {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' },
});
let passed = 0;
let failed = 0;
let tail = '';
child.stdout.on('data', (buf) => {
  process.stdout.write(buf);
  const text = tail + buf.toString('utf8');
  const lines = text.split('\n');
  tail = lines.pop();
  for (const line of lines) {
    if (line.includes('● Test suite failed to run')) failed += 1; // a suite that could not run counts as a failure
    // eslint-disable-next-line no-control-regex -- strip ANSI colour codes
    const m = /^Tests:\s+(.*)$/.exec(line.replace(/\x1b\[[0-9;]*m/g, '').trim());
    if (!m) continue;
    passed += Number((/(\d+) passed/.exec(m[1]) || [0, 0])[1]);
    failed += Number((/(\d+) failed/.exec(m[1]) || [0, 0])[1]);
  }
});
child.on('exit', (code, signal) => {
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
