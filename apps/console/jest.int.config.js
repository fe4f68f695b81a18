'use strict';
// End-to-end tests: a real browser (Debian's chromium, driven by playwright-core) against a real stack
// (`strongroom serve`: embedded PostgreSQL, engine, gateway serving the console). Without a chromium they
// say so and how to install it, and pass nothing off as tested.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'console:e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'],
  testTimeout: 180000,
};
