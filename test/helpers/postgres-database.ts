/**
 * A throwaway PostgreSQL database per test file, made from REKEY_TEST_DATABASE_URL (CI
 * sets it). Without the variable, PostgreSQL tests are skipped with a reason, unless
 * REKEY_REQUIRE_POSTGRES=1, when they fail instead.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.REKEY_TEST_DATABASE_URL;
export const POSTGRES_SKIP_REASON = 'REKEY_TEST_DATABASE_URL is not set (CI sets it; see .ci/run)';

if (POSTGRES_URL === undefined && process.env.REKEY_REQUIRE_POSTGRES === '1') {
  throw new Error('REKEY_REQUIRE_POSTGRES=1 but REKEY_TEST_DATABASE_URL is not set');
}

export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (POSTGRES_URL === undefined) throw new Error(POSTGRES_SKIP_REASON);
  const name = `rekey_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
