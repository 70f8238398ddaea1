import { defineConfig } from 'vitest/config';

// REKEY_TEST_REPORT=<file> adds a JSON report (CI counts the PostgreSQL tests from it).
const report = process.env.REKEY_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Says once why the PostgreSQL tests are skipped, and how to run them.
    globalSetup: ['test/postgres-notice.ts'],
    reporters: report === undefined ? ['default'] : ['default', ['json', { outputFile: report }]],
  },
});
