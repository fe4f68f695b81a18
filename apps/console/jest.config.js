'use strict';
// Unit tests of the console's view logic (plain functions, no browser).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'console',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.test.ts'],
};
