import type { Store } from '../store.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { leaseFromRow, type Row } from './sql-rows.js';

type LeaseMethods = Pick<Store, 'acquireLease' | 'renewLease' | 'releaseLease' | 'getLease'>;

/**
 * Leases are one upsert each, atomic in both databases: the row is taken over only when
 * it is free, expired at `now`, or already ours. Time comes from the caller so that
 * expiry is tested without sleeping (and several hosts agree on what `now` means only
 * as well as their clocks do: keep TTLs well above clock skew).
 */
export function createLeaseQueries({ database }: SqlStoreContext): LeaseMethods {
  function expiry(now: Date, ttlMilliseconds: number): unknown {
    return database.encodeDate(new Date(now.getTime() + Math.max(0, ttlMilliseconds)));
  }

  return {
    async acquireLease(name, holder, ttlMilliseconds, now) {
      const changed = await database.execute(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
        [name, holder, expiry(now, ttlMilliseconds), database.encodeDate(now)],
      );
      return changed > 0;
    },

    async renewLease(name, holder, ttlMilliseconds, now) {
      const changed = await database.execute('UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?', [
        expiry(now, ttlMilliseconds),
        name,
        holder,
        database.encodeDate(now),
      ]);
      return changed > 0;
    },

    async releaseLease(name, holder) {
      await database.execute('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
    },

    async getLease(name) {
      const rows = await database.query<Row>('SELECT * FROM leases WHERE name = ?', [name]);
      return rows[0] === undefined ? undefined : leaseFromRow(rows[0]);
    },
  };
}
