'use strict';
// Runs the TypeScript sources directly (no build step): @swc-node/register compiles on load,
// honouring tsconfig.base.json (CommonJS, decorators with metadata for TypeORM).
const path = require('node:path');
process.env.SWC_NODE_PROJECT = path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
