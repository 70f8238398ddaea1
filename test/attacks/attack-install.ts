/**
 * One install for the attack tests of issue 11 (a database that cannot be trusted on its
 * own): a real data directory made by the binary, on SQLite or PostgreSQL, plus what the
 * attacker holds — the database and nothing else (no master key). `sql` runs statements as
 * a database admin would, with `?` placeholders on both dialects.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { expect } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { openCliContext, type CliContext } from '../../src/cli/cli-context.js';
import { systemClock } from '../../src/core/clock.js';
import { masterKeyIdOf } from '../../src/crypto/envelope.js';
import { openStore } from '../../src/store/open-store.js';
import { initializeVaultKeys } from '../../src/vault/vault-keys.js';
import { runRekey, temporaryHome, type CliResult } from '../helpers/cli-runner.js';
import { createPostgresDatabase, POSTGRES_URL } from '../helpers/postgres-database.js';

export type AttackDialect = 'sqlite' | 'postgres';

/** The dialects to attack: SQLite always, PostgreSQL when the test database is configured. */
export const ATTACK_DIALECTS: AttackDialect[] = POSTGRES_URL === undefined ? ['sqlite'] : ['sqlite', 'postgres'];

export interface AttackInstall {
  dialect: AttackDialect;
  env: Record<string, string>;
  home: string;
  rekey(args: string[], input?: string): Promise<CliResult>;
  /** Runs the binary and expects exit code 0. */
  ok(args: string[], input?: string): Promise<CliResult>;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** A CLI context in this process, as `rekey serve` and `rekey proxy` open it. */
  context(): Promise<CliContext>;
  dispose(): Promise<void>;
}

/**
 * `legacy`: made as `rekey init` made installs before row MACs — no integrity root, an
 * unkeyed audit chain — so that later commands run on it as on an unsealed older install.
 */
export async function createAttackInstall(dialect: AttackDialect, options: { legacy?: boolean } = {}): Promise<AttackInstall> {
  const home = temporaryHome('rekey-attack-');
  const env: Record<string, string> = { REKEY_HOME: home, REKEY_MASTER_KEY: randomBytes(32).toString('base64') };
  let dropDatabase = async () => undefined as void;
  if (dialect === 'postgres') {
    const database = await createPostgresDatabase();
    env.REKEY_DATABASE_URL = database.url;
    dropDatabase = database.drop;
  }
  const rekey = (args: string[], input?: string) => runRekey(args, { env, ...(input === undefined ? {} : { input }) });
  const ok = async (args: string[], input?: string) => {
    const result = await rekey(args, input);
    expect(result.code, `rekey ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };

  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    if (dialect === 'sqlite') {
      const db = new Database(join(home, 'rekey.db'));
      try {
        const statement = db.prepare(text);
        return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: env.REKEY_DATABASE_URL });
    await client.connect();
    try {
      let index = 0;
      const result = await client.query(text.replace(/\?/g, () => `$${++index}`), params);
      return result.rows as T[];
    } finally {
      await client.end();
    }
  }

  if (options.legacy === true) await initLegacy(home, env);
  else await ok(['init']);
  const opened: CliContext[] = [];
  return {
    dialect,
    env,
    home,
    rekey,
    ok,
    sql,
    async context() {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      if (dialect === 'sqlite') delete process.env.REKEY_DATABASE_URL;
      try {
        const context = await openCliContext();
        opened.push(context);
        return context;
      } finally {
        for (const key of ['REKEY_HOME', 'REKEY_MASTER_KEY', 'REKEY_DATABASE_URL']) {
          if (saved[key] === undefined) delete process.env[key];
          else process.env[key] = saved[key];
        }
      }
    },
    async dispose() {
      for (const context of opened) await context.close().catch(() => undefined);
      await dropDatabase();
      rmSync(dirname(home), { recursive: true, force: true });
    },
  };
}

async function initLegacy(home: string, env: Record<string, string>): Promise<void> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const sqlitePath = join(home, 'rekey.db');
  if (env.REKEY_DATABASE_URL === undefined) closeSync(openSync(sqlitePath, 'wx', 0o600));
  const store = await openStore({ sqlitePath, ...(env.REKEY_DATABASE_URL === undefined ? {} : { databaseUrl: env.REKEY_DATABASE_URL }) });
  try {
    await store.migrate();
    const key = Buffer.from(env.REKEY_MASTER_KEY ?? '', 'base64');
    await initializeVaultKeys(store, { kind: 'env', origin: 'REKEY_MASTER_KEY', key, id: masterKeyIdOf(key) });
    await createAuditLog({ store, clock: systemClock }).record({ event: 'store-init', actor: 'cli:legacy', credential: null, fingerprint: null, outcome: 'ok', detail: { store: store.dialect } });
  } finally {
    await store.close();
  }
}

/** Copies one row of `table` (chosen by `where`) with some columns replaced: whatever columns the schema has today. */
export async function copyRow(install: AttackInstall, table: string, where: { column: string; value: unknown }, replace: Record<string, { value: unknown; cast?: string }>): Promise<void> {
  const columns = install.dialect === 'sqlite'
    ? (await install.sql<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)).map((row) => row.name)
    : (await install.sql<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position', [table])).map((row) => row.column_name);
  const params: unknown[] = [];
  const select = columns.map((column) => {
    const replacement = replace[column];
    if (replacement === undefined) return column;
    params.push(replacement.value);
    return install.dialect === 'postgres' && replacement.cast !== undefined ? `?::${replacement.cast}` : '?';
  });
  params.push(where.value);
  await install.sql(`INSERT INTO ${table} (${columns.join(', ')}) SELECT ${select.join(', ')} FROM ${table} WHERE ${where.column} = ?`, params);
}
