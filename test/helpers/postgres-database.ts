/**
 * A throwaway PostgreSQL database for a test file, as `{ url, drop }` (see
 * test/store/postgres-fixture.ts, which holds the one implementation).
 */
import { createPostgresTestDatabase, postgresSkipReason, postgresTestUrl } from '../store/postgres-fixture.js';

export const POSTGRES_URL = postgresTestUrl;
export const POSTGRES_SKIP_REASON = postgresSkipReason;

if (POSTGRES_URL === undefined && process.env.REKEY_REQUIRE_POSTGRES === '1') {
  throw new Error('REKEY_REQUIRE_POSTGRES=1 but REKEY_TEST_DATABASE_URL is not set');
}

export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const database = await createPostgresTestDatabase();
  return { url: database.url(), drop: () => database.drop() };
}
