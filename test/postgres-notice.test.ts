import { afterEach, describe, expect, it, vi } from 'vitest';
import postgresNotice from './postgres-notice.js';

describe('the PostgreSQL notice of a plain npm test', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('says why the PostgreSQL tests are skipped and how to run them, and nothing when they run', () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    vi.stubEnv('REKEY_TEST_DATABASE_URL', '');
    postgresNotice();
    vi.stubEnv('REKEY_TEST_DATABASE_URL', 'postgres://rekey_ci@127.0.0.1:5432/rekey');
    postgresNotice();
    write.mockRestore();
    expect(written.join('')).toMatch(/PostgreSQL tests are skipped because REKEY_TEST_DATABASE_URL is not set\.\n.*To run them: REKEY_TEST_DATABASE_URL=postgres:\/\//s);
    expect(written).toHaveLength(1);
  });
});
