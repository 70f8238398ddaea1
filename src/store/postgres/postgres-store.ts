import type { Store } from '../store.js';
import { createSqlStore } from '../sql/sql-store.js';
import { openPostgresDatabase } from './postgres-database.js';
import { listenForKeyChanges } from './postgres-key-changes.js';
import { postgresMigrations } from './postgres-migrations.js';

/** The shared store: several rekey servers and workers on one PostgreSQL database. */
export async function createPostgresStore(options: { url: string; now?: () => Date }): Promise<Store> {
  const database = await openPostgresDatabase(options.url);
  return createSqlStore({
    database,
    migrations: postgresMigrations,
    watchKeyChanges: (onChange, watchOptions) => listenForKeyChanges(options.url, onChange, watchOptions),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
