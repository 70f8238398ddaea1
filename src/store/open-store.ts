import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** A `postgres://` or `postgresql://` URL selects PostgreSQL; anything else is ignored. */
  databaseUrl?: string | undefined;
  /** The SQLite file used when there is no PostgreSQL URL. */
  sqlitePath: string;
  /** Where the store gets "now" for the times it records (tests inject a clock). */
  now?: () => Date;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the configured store without migrating it (callers run `migrate()`, e.g. from
 * `rekey init` or at server start). Each driver is imported only when chosen, so a
 * command on SQLite never loads `pg` and the reverse.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const now = options.now === undefined ? {} : { now: options.now };
  if (isPostgresUrl(options.databaseUrl)) {
    const { createPostgresStore } = await import('./postgres/postgres-store.js');
    return createPostgresStore({ url: options.databaseUrl, ...now });
  }
  const { createSqliteStore } = await import('./sqlite/sqlite-store.js');
  return createSqliteStore({ path: options.sqlitePath, ...now });
}
