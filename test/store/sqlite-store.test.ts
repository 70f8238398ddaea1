import { describe, expect, it } from 'vitest';
import { runStoreContract } from '../contracts/store.js';
import { createSqliteFixture } from './sqlite-fixture.js';

runStoreContract('[sqlite]', createSqliteFixture);

describe('sqlite file settings [sqlite]', () => {
  it('puts the database in WAL mode (foreign keys are shown by the cascade test of the contract)', async () => {
    const fixture = await createSqliteFixture({ now: () => new Date() });
    try {
      await fixture.store.migrate();
      expect(await fixture.sql('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      await fixture.dispose();
    }
  });
});
