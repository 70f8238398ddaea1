import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../../core/errors.js';
import type { SqlClient, SqlDatabase } from '../sql/sql-database.js';
import { sqliteError } from './sqlite-errors.js';

type Connection = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<unknown[], unknown>;

const BUSY_TIMEOUT_MILLISECONDS = 10_000;

/**
 * One queue per database file for the whole process. SQLite's busy wait is synchronous:
 * a second connection in the same process waiting for the write lock would block the
 * event loop and so the very transaction it waits for. Connections in other processes
 * wait on their own threads, which is what the busy timeout is for.
 */
const fileQueues = new Map<string, { tail: Promise<unknown> }>();

function assertWritable(file: string): void {
  const directory = dirname(file);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new StoreError(`cannot open database ${file}: directory ${directory} does not exist`, { hint: 'run rekey init' });
  }
  try {
    accessSync(directory, constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.R_OK | constants.W_OK);
  } catch {
    throw new StoreError(`cannot write database ${file}: the file or its directory is read-only`, {
      hint: 'check permissions; SQLite also needs to create the -wal and -shm files beside it',
    });
  }
}

/**
 * better-sqlite3 is synchronous, so every call goes through a per-file queue: an async
 * transaction holds the file until it ends, and nothing from elsewhere in the process
 * slips into it or waits on it synchronously. Write transactions start
 * with BEGIN IMMEDIATE, which takes SQLite's single write lock up front (waiting up to
 * the busy timeout for another process), so a read-then-write never deadlocks.
 */
export async function openSqliteDatabase(path: string): Promise<SqlDatabase> {
  const file = resolve(path);
  assertWritable(file);
  const { default: Database } = await import('better-sqlite3');
  let connection: Connection;
  try {
    connection = new Database(file, { timeout: BUSY_TIMEOUT_MILLISECONDS });
  } catch (error) {
    throw sqliteError(error, file);
  }
  try {
    // The first statement reads the header: a file that is not a database fails here.
    connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = FULL');
    connection.pragma('foreign_keys = ON');
    // Freed space is overwritten with zeros, so a shredded version's data key does not linger in free pages.
    connection.pragma('secure_delete = ON');
    connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MILLISECONDS}`);
    connection.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    connection.close();
    throw sqliteError(error, file);
  }

  const statements = new Map<string, Statement>();
  let queue = fileQueues.get(file);
  if (queue === undefined) {
    queue = { tail: Promise.resolve() };
    fileQueues.set(file, queue);
  }
  const fileQueue = queue;
  let open = true;

  function prepare(sql: string): Statement {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = connection.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  }

  function runQuery<Row>(sql: string, params: readonly unknown[] = []): Row[] {
    try {
      const statement = prepare(sql);
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    } catch (error) {
      throw sqliteError(error, file);
    }
  }

  function runExecute(sql: string, params: readonly unknown[] = []): number {
    try {
      const statement = prepare(sql);
      if (statement.reader) return statement.all(...params).length;
      return statement.run(...params).changes;
    } catch (error) {
      throw sqliteError(error, file);
    }
  }

  /** Runs `work` alone on the connection, after everything queued before it. */
  function exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const result = fileQueue.tail.then(() => {
      if (!open) throw new StoreError(`database ${file} is closed`);
      return work();
    });
    fileQueue.tail = result.catch(() => undefined);
    return result;
  }

  const inTransaction: SqlClient = {
    query: async (sql, params) => runQuery(sql, params),
    execute: async (sql, params) => runExecute(sql, params),
  };

  return {
    dialect: 'sqlite',
    location: file,
    forUpdate: '',
    query: (sql, params) => exclusive(() => runQuery(sql, params)),
    execute: (sql, params) => exclusive(() => runExecute(sql, params)),
    transaction: (work) =>
      exclusive(async () => {
        runExecute('BEGIN IMMEDIATE');
        try {
          const result = await work(inTransaction);
          runExecute('COMMIT');
          return result;
        } catch (error) {
          if (connection.inTransaction) connection.exec('ROLLBACK');
          throw error;
        }
      }),
    tableExists: (table) =>
      exclusive(() => runQuery("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).length > 0),
    encodeDate: (date) => date.toISOString(),
    close: () =>
      exclusive(() => {
        open = false;
        connection.close();
      }),
  };
}
