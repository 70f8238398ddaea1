import { createSqliteFixture } from '../store/sqlite-fixture.js';
import { runAuditTamperSuite } from './audit-tamper-suite.js';

runAuditTamperSuite('[sqlite]', createSqliteFixture);
