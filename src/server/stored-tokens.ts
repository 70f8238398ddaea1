/**
 * Access tokens and usage reports kept in the rekey database (migration 2), on the same
 * connection as the store. Each checks once that migration 2 is applied, so an old
 * database gives "run rekey doctor" rather than "no such table".
 */
import { StoreError } from '../core/errors.js';
import { createSqlTokenQueries } from '../store/sql/sql-token-queries.js';
import { createSqlUsageQueries } from '../store/sql/sql-usage-queries.js';
import { sqlDatabaseOf } from '../store/sql/sql-store.js';
import type { Store } from '../store/store.js';
import type { SqlDatabase } from '../store/sql/sql-database.js';
import type { AccessTokenStore } from './access-tokens.js';
import { mergeObservations, type UsageReportStore } from './usage-reports.js';

const REQUIRED_MIGRATION = 2;

function databaseOf(store: Store): { database: SqlDatabase; ready: () => Promise<void> } {
  const database = sqlDatabaseOf(store);
  if (database === undefined) throw new StoreError('this store keeps no access tokens or usage reports (not a SQL store)');
  let checked: Promise<void> | undefined;
  const ready = () => {
    checked ??= store.migrationStatus().then(
      (status) => {
        if (!status.applied.includes(REQUIRED_MIGRATION)) {
          throw new StoreError(`database at ${database.location} needs migration ${REQUIRED_MIGRATION} (access tokens, usage reports)`, { hint: 'run rekey doctor' });
        }
      },
      (error: unknown) => {
        checked = undefined;
        throw error;
      },
    );
    return checked;
  };
  return { database, ready };
}

export function openStoredAccessTokens(store: Store): AccessTokenStore {
  const { database, ready } = databaseOf(store);
  const queries = createSqlTokenQueries(database);
  return {
    insert: async (token, hash) => (await ready(), queries.insert(token, hash)),
    findWithHash: async (id) => (await ready(), queries.findWithHash(id)),
    list: async (filter) => (await ready(), queries.list(filter)),
    revoke: async (idOrName, at) => (await ready(), queries.revoke(idOrName, at)),
  };
}

export function openStoredUsageReports(store: Store): UsageReportStore {
  const { database, ready } = databaseOf(store);
  const queries = createSqlUsageQueries(database);
  return {
    record: async (reports) => (await ready(), queries.record(reports)),
    observations: async (credentialId, versionNumber, since) => (await ready(), mergeObservations(await queries.observations(credentialId, versionNumber, since))),
  };
}
