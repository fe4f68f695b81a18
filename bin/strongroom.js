#!/usr/bin/env node
'use strict';
// `npx strongroom …`: the operator CLI, run from its TypeScript sources (no build step).
require('./register');
require('../apps/cli/src/main.ts');
