/**
 * Row integrity and key deliveries (issue 11, migration 11). The store keeps the row MACs
 * that `src/vault/sealed-store.ts` computes and never checks them: it has no key.
 */
import { NotFoundError } from '../../core/errors.js';
import type { SealedTable, Store } from '../store.js';
import type { SqlStoreContext } from './sql-credential-queries.js';

type IntegrityMethods = Pick<Store, 'getSettingRow' | 'setRowMac' | 'recordKeyDelivery'>;

/** The primary-key columns of each sealed table. */
const KEY_COLUMNS: Record<SealedTable, readonly string[]> = {
  access_tokens: ['id'],
  consumers: ['credential_id', 'name'],
  settings: ['key'],
  users: ['id'],
  roles: ['name'],
  role_bindings: ['id'],
  approval_policies: ['name'],
  approval_requests: ['id'],
  approval_decisions: ['request_id', 'approver'],
  workload_identities: ['name'],
  sessions: ['id'],
  webauthn_credentials: ['id'],
};

export function createIntegrityQueries({ database }: SqlStoreContext): IntegrityMethods {
  return {
    async getSettingRow(key) {
      const rows = await database.query<{ value: string; mac: string | null }>('SELECT value, mac FROM settings WHERE key = ?', [key]);
      const row = rows[0];
      return row === undefined ? undefined : { value: row.value, mac: row.mac ?? null };
    },

    async setRowMac(table, key, mac) {
      const columns = KEY_COLUMNS[table];
      const values = typeof key === 'string' ? [key] : [...key];
      if (values.length !== columns.length) throw new NotFoundError(`a ${table} row is named by ${columns.join(' and ')}`);
      const where = columns.map((column) => `${column} = ?`).join(' AND ');
      const changed = await database.execute(`UPDATE ${table} SET mac = ? WHERE ${where}`, [mac, ...values]);
      if (changed === 0) throw new NotFoundError(`no ${table} row ${values.join('/')}`);
    },

    async recordKeyDelivery(delivery) {
      const at = database.encodeDate(delivery.at);
      const rows = await database.query<{ deliveries: number | string }>(
        `INSERT INTO key_deliveries (token_id, credential_id, version_number, first_at, last_at, deliveries) VALUES (?, ?, ?, ?, ?, 1)
         ON CONFLICT (token_id, credential_id, version_number) DO UPDATE SET deliveries = key_deliveries.deliveries + 1, last_at = excluded.last_at
         RETURNING deliveries`,
        [delivery.tokenId, delivery.credentialId, delivery.version, at, at],
      );
      const deliveries = Number(rows[0]?.deliveries ?? 1);
      return { first: deliveries === 1, deliveries };
    },
  };
}
