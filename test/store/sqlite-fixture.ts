import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.js';
import type { StoreFixture, StoreFixtureOptions } from '../contracts/store-fixture.js';

/** A fresh SQLite file in its own temporary directory per fixture. */
export async function createSqliteFixture(options: StoreFixtureOptions): Promise<StoreFixture> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-store-'));
  const path = join(directory, 'rekey.db');
  const open = () => openStore({ sqlitePath: path, now: options.now });
  const stores = [await open()];
  let raw: Database.Database | undefined;
  return {
    store: stores[0]!,
    location: path,
    async openAnother() {
      const store = await open();
      stores.push(store);
      return store;
    },
    async sql(statement, params = []) {
      raw ??= new Database(path, { timeout: 10_000 });
      const prepared = raw.prepare(statement);
      if (prepared.reader) return prepared.all(...params) as Record<string, unknown>[];
      prepared.run(...params);
      return [];
    },
    async dispose() {
      raw?.close();
      for (const store of stores) await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
