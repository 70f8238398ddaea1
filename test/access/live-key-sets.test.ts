/**
 * Key sets that follow the store's key-change watch: with the fallback poll off, a
 * promote made by another process still reaches the key sets (a stage poll on SQLite,
 * LISTEN/NOTIFY on PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLiveKeySets } from '../../src/access/live-key-sets.js';
import { openStore } from '../../src/store/open-store.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';
import { createPostgresDatabase, POSTGRES_SKIP_REASON, POSTGRES_URL } from '../helpers/postgres-database.js';

function followsAnotherProcess(label: string, open: () => Promise<{ fixture: KeyFixture; url: string }>, close: () => Promise<void>) {
  describe(`live key sets [${label}]`, () => {
    let fixture: KeyFixture;
    let url: string;
    beforeAll(async () => {
      ({ fixture, url } = await open());
    });
    afterAll(close);

    it('wakes when another connection promotes, with the fallback poll off', async () => {
      await fixture.addCredential('openai/notify/prod', 'sk-proj-notify-one-aaaaaaaaaaaa');
      // The serving process: its own store on the same database.
      const serving = await openStore({ databaseUrl: label === 'postgres' ? url : undefined, sqlitePath: url });
      const live = await openLiveKeySets({ store: serving, vault: fixture.vault, pollIntervalMilliseconds: 3_600_000 });
      try {
        const before = await live.keySets.get('openai/notify/prod');
        expect(before.keys.map((key) => key.version)).toEqual([1]);
        const changed = new Promise<void>((resolve) => live.keySets.onChange((set) => set.keys[0]?.version === 2 && resolve()));
        await fixture.rotate('openai/notify/prod', 'sk-proj-notify-two-bbbbbbbbbbbb');
        await changed;
        expect((await live.keySets.get('openai/notify/prod')).keys.map((key) => key.version)).toEqual([2, 1]);
      } finally {
        await live.close();
        await serving.close();
      }
    });
  });
}

{
  let fixture: KeyFixture;
  followsAnotherProcess(
    'sqlite',
    async () => {
      fixture = await createKeyFixture();
      return { fixture, url: `${fixture.directory}/rekey.db` };
    },
    async () => fixture?.close(),
  );
}

describe.skipIf(POSTGRES_URL === undefined)(`on PostgreSQL${POSTGRES_URL === undefined ? ` (skipped: ${POSTGRES_SKIP_REASON})` : ''}`, () => {
  let fixture: KeyFixture;
  let database: { url: string; drop(): Promise<void> };
  followsAnotherProcess(
    'postgres',
    async () => {
      database = await createPostgresDatabase();
      fixture = await createKeyFixture({ databaseUrl: database.url });
      return { fixture, url: database.url };
    },
    async () => {
      await fixture?.close();
      await database?.drop();
    },
  );
});
