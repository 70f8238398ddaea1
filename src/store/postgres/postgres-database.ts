import type { Pool, PoolClient } from 'pg';
import type { SqlClient, SqlDatabase, TransactionLock } from '../sql/sql-database.js';
import { postgresError } from './postgres-errors.js';

/** Advisory lock keys, one per TransactionLock (arbitrary constants, "rekey" in ASCII + n). */
const ADVISORY_KEYS: Record<TransactionLock, number> = { migrate: 0x72656b01, audit: 0x72656b02 };

/** `?` → `$1, $2…`. Our SQL never has a `?` inside a literal. */
function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** host:port/database, for messages; never the user or password. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}

/**
 * A `pg` Pool behind the SqlDatabase seam. Transactions run on one pooled client at
 * READ COMMITTED; the store locks the credential row (`FOR UPDATE`) before any stage
 * change, and takes an advisory transaction lock for migrations and audit appends.
 */
export async function openPostgresDatabase(url: string): Promise<SqlDatabase> {
  const { default: pg } = await import('pg');
  const location = describePostgresUrl(url);
  const pool: Pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);

  function clientOf(runner: Pool | PoolClient): SqlClient {
    return {
      async query<Row>(sql: string, params: readonly unknown[] = []) {
        try {
          const result = await runner.query(params.length === 0 ? sql : numberPlaceholders(sql), params as unknown[]);
          return result.rows as Row[];
        } catch (error) {
          throw postgresError(error, location);
        }
      },
      async execute(sql: string, params: readonly unknown[] = []) {
        try {
          const result = await runner.query(params.length === 0 ? sql : numberPlaceholders(sql), params as unknown[]);
          return result.rowCount ?? 0;
        } catch (error) {
          throw postgresError(error, location);
        }
      },
    };
  }

  const poolClient = clientOf(pool);

  return {
    dialect: 'postgres',
    location,
    forUpdate: ' FOR UPDATE',
    query: poolClient.query,
    execute: poolClient.execute,
    async transaction(work, options = {}) {
      let connection: PoolClient;
      try {
        connection = await pool.connect();
      } catch (error) {
        throw postgresError(error, location);
      }
      const client = clientOf(connection);
      let broken = false;
      try {
        await client.execute('BEGIN');
        if (options.lock !== undefined) await client.query('SELECT pg_advisory_xact_lock(?)', [ADVISORY_KEYS[options.lock]]);
        const result = await work(client);
        await client.execute('COMMIT');
        return result;
      } catch (error) {
        try {
          await connection.query('ROLLBACK');
        } catch {
          broken = true;
        }
        // Driver errors were mapped where they were raised; the work's own errors pass as they are.
        throw error;
      } finally {
        connection.release(broken);
      }
    },
    async tableExists(table) {
      const rows = await poolClient.query<{ found: string | null }>('SELECT to_regclass(?)::text AS found', [table]);
      return rows[0]?.found !== null && rows[0]?.found !== undefined;
    },
    encodeDate: (date) => date,
    async close() {
      await pool.end();
    },
  };
}
