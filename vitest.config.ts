import { defineConfig } from 'vitest/config';

// REKEY_TEST_REPORT=<file> adds a JSON report (CI counts the PostgreSQL tests from it).
const report = process.env.REKEY_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: report === undefined ? ['default'] : ['default', ['json', { outputFile: report }]],
  },
});
