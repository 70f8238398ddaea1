/** Workload identities (migration 13) on either dialect; see src/store/identity-store-types.ts. */
import { NotFoundError } from '../../core/errors.js';
import type { IdentityStore, WorkloadIdentityRecord } from '../identity-store-types.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toDate, type Row } from './sql-rows.js';

function identityFromRow(row: Row): WorkloadIdentityRecord {
  return {
    name: String(row.name),
    issuer: String(row.issuer),
    audience: String(row.audience),
    boundClaims: fromJson<Record<string, string>>(row.bound_claims),
    groups: fromJson<string[]>(row.groups),
    createdAt: toDate(row.created_at),
    createdBy: String(row.created_by),
    mac: row.mac === null || row.mac === undefined ? null : String(row.mac),
  };
}

export function createIdentityQueries({ database }: SqlStoreContext): IdentityStore {
  return {
    async saveWorkloadIdentity(identity) {
      await database.execute(
        `INSERT INTO workload_identities (name, issuer, audience, bound_claims, groups, created_at, created_by, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET issuer = excluded.issuer, audience = excluded.audience, bound_claims = excluded.bound_claims, groups = excluded.groups, mac = excluded.mac`,
        [identity.name, identity.issuer, identity.audience, JSON.stringify(identity.boundClaims), JSON.stringify(identity.groups), database.encodeDate(identity.createdAt), identity.createdBy, identity.mac],
      );
      const rows = await database.query<Row>('SELECT * FROM workload_identities WHERE name = ?', [identity.name]);
      return identityFromRow(rows[0] as Row);
    },
    async listWorkloadIdentities(filter = {}) {
      const rows = filter.issuer === undefined
        ? await database.query<Row>('SELECT * FROM workload_identities ORDER BY name')
        : await database.query<Row>('SELECT * FROM workload_identities WHERE issuer = ? ORDER BY name', [filter.issuer]);
      return rows.map(identityFromRow);
    },
    async removeWorkloadIdentity(name) {
      const changed = await database.execute('DELETE FROM workload_identities WHERE name = ?', [name]);
      if (changed === 0) throw new NotFoundError(`no workload identity named ${name}`);
    },
  };
}
