/**
 * The small seam between the shared SQL store (`sql-store.ts`) and a driver folder
 * (`../sqlite/`, `../postgres/`): run a statement, run a transaction. SQL is written once
 * with `?` placeholders; the PostgreSQL driver numbers them. Drivers translate their own
 * errors into rekey errors (ConflictError for unique violations and serialization
 * failures, NotFoundError for a missing referenced row, StoreError otherwise) and never
 * put a bound parameter into a message.
 */
import type { Dialect } from '../store.js';

export interface SqlClient {
  /** Runs a statement and returns its rows (empty for statements without RETURNING). */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement and returns how many rows it changed. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
}

/**
 * Locks taken at the start of a transaction. SQLite takes its one write lock for every
 * transaction (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory lock.
 */
export type TransactionLock = 'migrate' | 'audit';

export interface SqlDatabase extends SqlClient {
  readonly dialect: Dialect;
  /** Where the data lives, for messages: a file path, or host:port/database (no password). */
  readonly location: string;
  /** ` FOR UPDATE` on PostgreSQL; empty on SQLite, whose write transactions are exclusive. */
  readonly forUpdate: string;
  transaction<T>(work: (client: SqlClient) => Promise<T>, options?: { lock?: TransactionLock }): Promise<T>;
  tableExists(table: string): Promise<boolean>;
  /** A Date as the driver binds it (ISO text on SQLite, a timestamp on PostgreSQL). */
  encodeDate(date: Date): unknown;
  close(): Promise<void>;
}

/** A schema change. Versions are 1, 2, 3… and never reused or edited once released. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}
