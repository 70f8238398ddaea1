import { createPostgresFixture, withPostgresDatabase } from '../store/postgres-fixture.js';
import { runAuditTamperSuite } from './audit-tamper-suite.js';

withPostgresDatabase('audit log [postgres]', (database) => {
  runAuditTamperSuite('[postgres]', (options) => createPostgresFixture(database(), options));
});
