import type { MigrationStatus } from '../store.js';
import type { Migration, SqlClient, SqlDatabase } from './sql-database.js';

/**
 * Applies pending migrations in one transaction under the `migrate` lock, so that two
 * processes starting at once apply each migration exactly once: the second waits for the
 * lock, then finds nothing left to do.
 */
export async function applyMigrations(database: SqlDatabase, migrations: readonly Migration[]): Promise<void> {
  await database.transaction(
    async (client) => {
      await client.execute(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      const applied = new Set(await appliedVersions(client));
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.statements) await client.execute(statement);
        await client.execute('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
      }
    },
    { lock: 'migrate' },
  );
}

export async function readMigrationStatus(database: SqlDatabase, migrations: readonly Migration[]): Promise<MigrationStatus> {
  const applied = (await database.tableExists('schema_migrations')) ? await appliedVersions(database) : [];
  const appliedSet = new Set(applied);
  return {
    applied,
    pending: migrations.map((migration) => migration.version).filter((version) => !appliedSet.has(version)),
  };
}

async function appliedVersions(client: SqlClient): Promise<number[]> {
  const rows = await client.query<{ version: number | string }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((row) => Number(row.version));
}
