'use strict';
// Repository-level checks: pure, no database.
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'tools',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/node_modules/'],
};
