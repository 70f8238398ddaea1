import { runStoreContract } from '../contracts/store.js';
import { createSqliteFixture } from './sqlite-fixture.js';

runStoreContract('[sqlite]', createSqliteFixture);
