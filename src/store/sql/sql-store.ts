import { RekeyError, StoreError } from '../../core/errors.js';
import type { KeyChangeWatch, Store } from '../store.js';
import { createAccessTokenQueries } from './sql-access-token-queries.js';
import { createAlertQueries } from './sql-alert-queries.js';
import { createAuditQueries } from './sql-audit-queries.js';
import { createByokQueries } from './sql-byok-queries.js';
import { createCredentialQueries } from './sql-credential-queries.js';
import type { Migration, SqlDatabase } from './sql-database.js';
import { createIntegrityQueries } from './sql-integrity-queries.js';
import { createLeaseQueries } from './sql-lease-queries.js';
import { applyMigrations, readMigrationStatus } from './sql-migrator.js';
import { createApprovalQueries } from './sql-approval-queries.js';
import { createIdentityQueries } from './sql-identity-queries.js';
import { createOidcQueries } from './sql-oidc-queries.js';
import { createPasskeyQueries } from './sql-passkey-queries.js';
import { createTeamQueries } from './sql-team-queries.js';
import { createRotationQueries } from './sql-rotation-queries.js';
import { createUsageQueries } from './sql-usage-queries.js';
import { createVersionQueries } from './sql-version-queries.js';

export interface SqlStoreOptions {
  database: SqlDatabase;
  migrations: readonly Migration[];
  /** The dialect's way to hear of stage changes (NOTIFY on PostgreSQL, a poll on SQLite). */
  watchKeyChanges: Store['watchKeyChanges'];
  now?: () => Date;
}

type DataMethods = Omit<Store, 'dialect' | 'migrate' | 'migrationStatus' | 'close'>;

/**
 * The one Store implementation over a SQL dialect. Every data method first checks, once
 * per store, that the schema is fully migrated, so an uninitialised database gives a
 * clear message instead of "no such table". Unexpected errors become StoreErrors that
 * name the operation; driver errors were already made safe by the driver.
 */
export function createSqlStore(options: SqlStoreOptions): Store {
  const { database, migrations } = options;
  const context = { database, now: options.now ?? (() => new Date()) };
  let closed = false;
  let ready: Promise<void> | undefined;
  const watches = new Set<KeyChangeWatch>();

  async function checkSchema(): Promise<void> {
    const status = await readMigrationStatus(database, migrations);
    const latest = migrations.at(-1)?.version ?? 0;
    const newer = status.applied.filter((version) => version > latest);
    if (newer.length > 0) {
      throw new StoreError(`database at ${database.location} has schema version ${Math.max(...newer)}, newer than this rekey knows (${latest})`, {
        hint: 'upgrade rekey',
      });
    }
    if (status.applied.length === 0) {
      throw new StoreError(`database at ${database.location} is not initialised; run rekey init / rekey doctor`);
    }
    if (status.pending.length > 0) {
      throw new StoreError(`database at ${database.location} needs migrations ${status.pending.join(', ')}; run rekey doctor`);
    }
  }

  function ensureReady(): Promise<void> {
    if (closed) return Promise.reject(new StoreError(`store at ${database.location} is closed`));
    ready ??= checkSchema().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  }

  function fail(operation: string, error: unknown): never {
    if (error instanceof RekeyError) throw error;
    const kind = error instanceof Error ? error.name : typeof error;
    throw new StoreError(`${operation} failed on ${database.location} (${kind})`, { cause: error });
  }

  const data: DataMethods = {
    ...createCredentialQueries(context),
    ...createVersionQueries(context),
    ...createAuditQueries(context),
    ...createRotationQueries(context),
    ...createLeaseQueries(context),
    ...createAlertQueries(context),
    ...createAccessTokenQueries(context),
    ...createUsageQueries(context),
    ...createTeamQueries(context),
    ...createApprovalQueries(context),
    ...createIdentityQueries(context),
    ...createOidcQueries(context),
    ...createPasskeyQueries(context),
    ...createIntegrityQueries(context),
    ...createByokQueries(context),
    async watchKeyChanges(onChange, watchOptions) {
      const watch = await options.watchKeyChanges(onChange, watchOptions);
      watches.add(watch);
      return {
        async close() {
          watches.delete(watch);
          await watch.close();
        },
      };
    },
  };
  const guarded = Object.fromEntries(
    Object.entries(data).map(([name, method]) => [
      name,
      async (...args: unknown[]) => {
        await ensureReady();
        try {
          return await (method as (...args: unknown[]) => Promise<unknown>)(...args);
        } catch (error) {
          fail(name, error);
        }
      },
    ]),
  ) as unknown as DataMethods;

  const store: Store = {
    dialect: database.dialect,
    ...guarded,
    async migrate() {
      if (closed) throw new StoreError(`store at ${database.location} is closed`);
      try {
        await applyMigrations(database, migrations);
      } catch (error) {
        fail('migrate', error);
      }
      ready = undefined;
    },
    async migrationStatus() {
      if (closed) throw new StoreError(`store at ${database.location} is closed`);
      try {
        return await readMigrationStatus(database, migrations);
      } catch (error) {
        fail('migrationStatus', error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // A watch outliving its store would poll a closed connection.
      await Promise.all([...watches].map((watch) => watch.close()));
      watches.clear();
      await database.close();
    },
  };
  return store;
}
