import { afterAll, beforeAll, describe, it } from 'vitest';
import { createPostgresFixture, createPostgresTestDatabase, postgresRequired, postgresSkipReason, postgresTestUrl, type PostgresTestDatabase } from '../store/postgres-fixture.js';
import { runAuditTamperSuite } from './audit-tamper-suite.js';

if (postgresTestUrl === undefined) {
  describe('audit log [postgres]', () => {
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
  runAuditTamperSuite('[postgres]', (options) => createPostgresFixture(database, options));
}
