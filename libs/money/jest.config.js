'use strict';
// Unit tests: pure logic, no database.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'money',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
};
