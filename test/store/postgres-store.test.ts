import { runStoreContract } from '../contracts/store.js';
import { createPostgresFixture, withPostgresDatabase } from './postgres-fixture.js';

withPostgresDatabase('store contract [postgres]', (database) => {
  runStoreContract('[postgres]', (options) => createPostgresFixture(database(), options));
});
