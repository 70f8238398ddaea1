import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { StoreFixture, StoreFixtureOptions } from '../contracts/store-fixture.js';

/**
 * PostgreSQL for tests: one throwaway database per test file, created from
 * REKEY_TEST_DATABASE_URL and dropped afterwards, and one schema per fixture inside it
 * (selected through the connection's search_path), so tests never see each other's rows.
 */
export const postgresTestUrl = process.env.REKEY_TEST_DATABASE_URL || undefined;
export const postgresRequired = process.env.REKEY_REQUIRE_POSTGRES === '1';
export const postgresSkipReason = 'PostgreSQL tests skipped: REKEY_TEST_DATABASE_URL is not set (CI sets it and REKEY_REQUIRE_POSTGRES=1)';

export interface PostgresTestDatabase {
  /** URL of the throwaway database, optionally with a search_path. */
  url(schema?: string): string;
  drop(): Promise<void>;
}

function withDatabase(base: string, database: string, schema?: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  if (schema !== undefined) url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export async function createPostgresTestDatabase(): Promise<PostgresTestDatabase> {
  if (postgresTestUrl === undefined) throw new Error(postgresSkipReason);
  const name = `rekey_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresTestUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: (schema) => withDatabase(postgresTestUrl, name, schema),
    async drop() {
      const client = new pg.Client({ connectionString: postgresTestUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Registers `suite` against a throwaway database made for this file (dropped afterwards).
 * Without REKEY_TEST_DATABASE_URL it records a skip with the reason, or a failing test
 * when REKEY_REQUIRE_POSTGRES=1 (CI), so PostgreSQL coverage can never vanish silently.
 */
export function withPostgresDatabase(title: string, suite: (database: () => PostgresTestDatabase) => void): void {
  if (postgresTestUrl === undefined) {
    describe(title, () => {
      if (postgresRequired) {
        it('needs PostgreSQL', () => {
          throw new Error('REKEY_REQUIRE_POSTGRES=1 but REKEY_TEST_DATABASE_URL is not set');
        });
      } else {
        it.skip(postgresSkipReason, () => undefined);
      }
    });
    return;
  }
  let database: PostgresTestDatabase | undefined;
  beforeAll(async () => {
    database = await createPostgresTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  suite(() => {
    if (database === undefined) throw new Error('the PostgreSQL test database was not created');
    return database;
  });
}

let schemaCounter = 0;

export async function createPostgresFixture(database: PostgresTestDatabase, options: StoreFixtureOptions): Promise<StoreFixture> {
  const schema = `s_${process.pid}_${++schemaCounter}`;
  const raw = new pg.Client({ connectionString: database.url() });
  await raw.connect();
  await raw.query(`CREATE SCHEMA ${schema}`);
  await raw.query(`SET search_path TO ${schema}`);
  const url = database.url(schema);
  const open = () => openStore({ databaseUrl: url, sqlitePath: '/nonexistent/unused.db', now: options.now });
  const stores = [await open()];
  return {
    store: stores[0]!,
    location: url,
    async openAnother() {
      const store = await open();
      stores.push(store);
      return store;
    },
    async sql(statement, params = []) {
      let index = 0;
      const numbered = params.length === 0 ? statement : statement.replace(/\?/g, () => `$${++index}`);
      const result = await raw.query(numbered, params);
      return result.rows as Record<string, unknown>[];
    },
    async dispose() {
      for (const store of stores) await store.close();
      await raw.query(`DROP SCHEMA ${schema} CASCADE`);
      await raw.end();
    },
  };
}
