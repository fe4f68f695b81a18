'use strict';
// Integration tests: real PostgreSQL from the libs/testing harness (one cluster per run, one database per file).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'audit:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int.test.ts'],
  globalSetup: '<rootDir>/../../libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/testing/src/global-teardown.ts',
};
