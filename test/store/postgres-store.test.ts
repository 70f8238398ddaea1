import { afterAll, beforeAll, describe, it } from 'vitest';
import { runStoreContract } from '../contracts/store.js';
import { createPostgresFixture, createPostgresTestDatabase, postgresRequired, postgresSkipReason, postgresTestUrl, type PostgresTestDatabase } from './postgres-fixture.js';

if (postgresTestUrl === undefined) {
  describe('store contract [postgres]', () => {
    if (postgresRequired) {
      it('needs PostgreSQL', () => {
        throw new Error('REKEY_REQUIRE_POSTGRES=1 but REKEY_TEST_DATABASE_URL is not set');
      });
    } else {
      it.skip(postgresSkipReason, () => undefined);
    }
  });
} else {
  let database: PostgresTestDatabase;
  beforeAll(async () => {
    database = await createPostgresTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  runStoreContract('[postgres]', (options) => createPostgresFixture(database, options));
}
