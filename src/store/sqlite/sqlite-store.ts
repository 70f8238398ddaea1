import type { Store } from '../store.js';
import { createSqlStore } from '../sql/sql-store.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { pollForKeyChanges } from './sqlite-key-changes.js';
import { sqliteMigrations } from './sqlite-migrations.js';

/** The embedded store: one SQLite file (WAL, synchronous=FULL, foreign keys on). */
export async function createSqliteStore(options: { path: string; now?: () => Date }): Promise<Store> {
  const database = await openSqliteDatabase(options.path);
  return createSqlStore({
    database,
    migrations: sqliteMigrations,
    watchKeyChanges: (onChange, watchOptions) => pollForKeyChanges(database, onChange, watchOptions),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
