#!/usr/bin/env node
// Generates the ts-proto code in libs/contract/src/gen from proto/ (the one command for it).
//   node tools/gen-contract.js           lint the protos and regenerate in place
//   node tools/gen-contract.js --check   regenerate into a temp dir and fail if it differs from the committed code
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const buf = path.join(root, 'node_modules', '.bin', 'buf');
const committed = path.join(root, 'libs', 'contract', 'src', 'gen');

function run(args) {
  execFileSync(buf, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

function listFiles(dir, base = dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  });
}

function diff(a, b) {
  const files = new Set([...listFiles(a), ...listFiles(b)]);
  const changed = [];
  for (const f of [...files].sort()) {
    const x = fs.existsSync(path.join(a, f)) ? fs.readFileSync(path.join(a, f), 'utf8') : null;
    const y = fs.existsSync(path.join(b, f)) ? fs.readFileSync(path.join(b, f), 'utf8') : null;
    if (x !== y) changed.push(f);
  }
  return changed;
}

run(['lint']);
if (process.argv.includes('--check')) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-contract-'));
  try {
    run(['generate', '--output', tmp]);
    // buf writes to <output>/<plugin out>; compare that subtree with the committed one
    const changed = diff(committed, path.join(tmp, 'libs', 'contract', 'src', 'gen'));
    if (changed.length) {
      console.error(`Generated contract is out of date (${changed.join(', ')}). Run: npm run gen:contract`);
      process.exit(1);
    }
    console.log('contract: generated code matches proto/');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
} else {
  fs.rmSync(committed, { recursive: true, force: true });
  run(['generate']);
  console.log(`contract: generated into ${path.relative(root, committed)}`);
}
