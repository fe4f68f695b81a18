#!/usr/bin/env node
'use strict';
// node bin/run-ts.js <file.ts> [args...]: runs a TypeScript entry point of this repository.
const path = require('node:path');
require('./register');
const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
process.argv.splice(1, 2, path.resolve(file));
require(path.resolve(file));
