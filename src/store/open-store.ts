import { ConfigError } from '../core/errors.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** A `postgres://` or `postgresql://` URL selects PostgreSQL; unset or empty selects SQLite. */
  databaseUrl?: string | undefined;
  /** The SQLite file used when there is no PostgreSQL URL. */
  sqlitePath: string;
  /** Where the store gets "now" for the times it records (tests inject a clock). */
  now?: () => Date;
}

export function isPostgresUrl(url: string | undefined): boolean {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the configured store without migrating it (callers run `migrate()`, e.g. from
 * `rekey init` or at server start). Each driver is imported only when chosen, so a
 * command on SQLite never loads `pg` and the reverse.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const now = options.now === undefined ? {} : { now: options.now };
  if (options.databaseUrl !== undefined && isPostgresUrl(options.databaseUrl)) {
    const { createPostgresStore } = await import('./postgres/postgres-store.js');
    return createPostgresStore({ url: options.databaseUrl, ...now });
  }
  if (options.databaseUrl !== undefined && options.databaseUrl.trim() !== '') {
    // Never fall back to SQLite silently when a database was asked for; name the scheme only (the URL may hold a password).
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(options.databaseUrl)?.[1] ?? 'unknown';
    throw new ConfigError(`unsupported database URL scheme "${scheme.slice(0, 20)}"`, { hint: 'use postgres://user:password@host:5432/database, or unset it to use SQLite' });
  }
  if (options.sqlitePath.trim() === '') throw new ConfigError('no database configured: the SQLite path is empty');
  const { createSqliteStore } = await import('./sqlite/sqlite-store.js');
  return createSqliteStore({ path: options.sqlitePath, ...now });
}
