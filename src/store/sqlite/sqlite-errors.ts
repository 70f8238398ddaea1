import { ConflictError, NotFoundError, RekeyError, StoreError } from '../../core/errors.js';

const NOT_INITIALISED = /no such (table|column)/;

/**
 * Turns a better-sqlite3 error into a rekey error. SQLite's messages name tables,
 * columns and constraints but never bound values, so the reason can be kept.
 */
export function sqliteError(error: unknown, file: string): RekeyError {
  if (error instanceof RekeyError) return error;
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new ConflictError(`conflicting row (${message})`);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new NotFoundError('a referenced row does not exist');
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new StoreError(`database ${file} is locked by another process; try again`, { isRetryable: true });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StoreError(`database ${file} is read-only (check the permissions of the file and its directory)`);
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_')) {
    return new StoreError(`${file} is not a SQLite database or is corrupt`, { hint: 'restore it from a backup or point rekey at another file' });
  }
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_CANTOPEN_')) {
    return new StoreError(`cannot open database ${file} (missing directory or no permission)`);
  }
  if (code === 'SQLITE_FULL') return new StoreError(`disk full while writing ${file}`);
  if (NOT_INITIALISED.test(message)) {
    return new StoreError(`database ${file} is not initialised; run rekey init / rekey doctor`);
  }
  // SQLite's own message is left out on purpose: only its code is known never to quote data.
  return new StoreError(`SQLite error on ${file}: ${code || 'unknown'}`);
}
