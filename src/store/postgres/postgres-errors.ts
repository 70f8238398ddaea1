import { ConflictError, NotFoundError, RekeyError, StoreError } from '../../core/errors.js';

interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN', '57P01', '57P03', '08006', '08001', '08004']);

/**
 * Turns a `pg` error into a rekey error. PostgreSQL's messages and `detail` can quote
 * bound values ("Key (name)=(…) already exists", "invalid input syntax: …"), so only the
 * SQLSTATE code and the names of the constraint, table or column are kept, and the
 * original error is not attached as a cause.
 */
export function postgresError(error: unknown, location: string): RekeyError {
  if (error instanceof RekeyError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as PgErrorFields;
  const code = typeof fields.code === 'string' ? fields.code : '';
  const names = [fields.constraint, fields.table, fields.column].filter((name): name is string => typeof name === 'string');
  const about = names.length > 0 ? ` (${names.join(', ')})` : '';
  if (code === '23505') return new ConflictError(`conflicting row${about}`);
  if (code === '23503') return new NotFoundError(`a referenced row does not exist${about}`);
  if (code === '40001' || code === '40P01') {
    return new ConflictError(`concurrent change to the same rows (PostgreSQL ${code}); try again`, { isRetryable: true });
  }
  if (code === '42P01' || code === '42703') {
    return new StoreError(`database ${location} is not initialised; run rekey init / rekey doctor`);
  }
  if (code === '28P01' || code === '28000') return new StoreError(`PostgreSQL at ${location} refused the credentials`);
  if (code === '3D000') return new StoreError(`PostgreSQL database ${location} does not exist`);
  if (code === '25006') return new StoreError(`PostgreSQL at ${location} is read-only (a standby?)`);
  if (CONNECTION_CODES.has(code)) {
    return new StoreError(`cannot reach PostgreSQL at ${location} (${code})`, { isRetryable: true });
  }
  if (code === '') {
    const kind = error instanceof Error ? error.name : typeof error;
    return new StoreError(`PostgreSQL request to ${location} failed (${kind})`, { isRetryable: true });
  }
  return new StoreError(`PostgreSQL error ${code} at ${location}${about}`);
}
