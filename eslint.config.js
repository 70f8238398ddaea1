import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '!eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The domain core has no I/O and no environment access (DESIGN.md §7).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:fs*', 'node:child_process', 'node:net', 'node:http*', 'pg', 'better-sqlite3'] }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'core has no environment access' }],
    },
  },
  {
    // The SDK entry imports no server, CLI, database driver or cloud SDK.
    files: ['src/sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['pg', 'better-sqlite3', '@aws-sdk/*', '@kubernetes/*', 'hono', '@hono/*', 'commander', '../cli/*', '../server/*', '../store/*', '../proxy/*'] }],
    },
  },
);
