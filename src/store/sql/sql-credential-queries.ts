import { randomUUID } from 'node:crypto';
import { assertCredentialName } from '../../core/credential-name.js';
import { ConflictError, NotFoundError, UsageError } from '../../core/errors.js';
import { PROVIDER_KINDS, type Credential } from '../../core/types.js';
import type { CredentialPatch, NewCredential, Store } from '../store.js';
import type { SqlClient, SqlDatabase } from './sql-database.js';
import { credentialFromRow, type Row } from './sql-rows.js';

export interface SqlStoreContext {
  database: SqlDatabase;
  now(): Date;
}

type CredentialMethods = Pick<
  Store,
  | 'getSetting'
  | 'setSettingIfAbsent'
  | 'setSetting'
  | 'createCredential'
  | 'getCredential'
  | 'getCredentialById'
  | 'listCredentials'
  | 'updateCredential'
  | 'removeCredential'
>;

/** Locks the credential row for the rest of the transaction (PostgreSQL) and returns its name. */
export async function lockCredential(client: SqlClient, database: SqlDatabase, credentialId: string): Promise<string> {
  const rows = await client.query<{ name: string }>(`SELECT name FROM credentials WHERE id = ?${database.forUpdate}`, [credentialId]);
  const row = rows[0];
  if (row === undefined) throw new NotFoundError(`no credential with id ${credentialId}`);
  return row.name;
}

function assertProvider(provider: string): void {
  if (!(PROVIDER_KINDS as readonly string[]).includes(provider)) {
    throw new UsageError(`unknown provider "${provider}"`, { hint: `expected one of: ${PROVIDER_KINDS.join(', ')}` });
  }
}

const PATCH_COLUMNS: Record<keyof CredentialPatch, { column: string; json: boolean }> = {
  provider: { column: 'provider', json: false },
  scope: { column: 'scope', json: true },
  environment: { column: 'environment', json: false },
  owner: { column: 'owner', json: false },
  purpose: { column: 'purpose', json: false },
  allowedModels: { column: 'allowed_models', json: true },
  tags: { column: 'tags', json: true },
  policy: { column: 'policy', json: true },
};

export function createCredentialQueries({ database, now }: SqlStoreContext): CredentialMethods {
  return {
    async getSetting(key) {
      const rows = await database.query<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
      return rows[0]?.value;
    },

    async setSettingIfAbsent(key, value) {
      return database.transaction(async (client) => {
        await client.execute('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]);
        const rows = await client.query<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
        return rows[0]?.value ?? value;
      });
    },

    async setSetting(key, value, mac = null) {
      await database.execute('INSERT INTO settings (key, value, mac) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, mac = excluded.mac', [
        key,
        value,
        mac,
      ]);
    },

    async createCredential(input: NewCredential): Promise<Credential> {
      assertCredentialName(input.name);
      assertProvider(input.provider);
      const at = database.encodeDate(now());
      try {
        const rows = await database.query<Row>(
          `INSERT INTO credentials (id, name, provider, scope, environment, owner, purpose, allowed_models, tags, policy, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          [
            randomUUID(),
            input.name,
            input.provider,
            JSON.stringify(input.scope),
            input.environment,
            input.owner,
            input.purpose,
            JSON.stringify(input.allowedModels),
            JSON.stringify(input.tags),
            JSON.stringify(input.policy),
            at,
            at,
          ],
        );
        return credentialFromRow(rows[0] as Row);
      } catch (error) {
        if (error instanceof ConflictError) throw new ConflictError(`credential ${input.name} already exists`);
        throw error;
      }
    },

    async getCredential(name) {
      const rows = await database.query<Row>('SELECT * FROM credentials WHERE name = ?', [name]);
      return rows[0] === undefined ? undefined : credentialFromRow(rows[0]);
    },

    async getCredentialById(id) {
      const rows = await database.query<Row>('SELECT * FROM credentials WHERE id = ?', [id]);
      return rows[0] === undefined ? undefined : credentialFromRow(rows[0]);
    },

    async listCredentials(filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.provider !== undefined) {
        conditions.push('provider = ?');
        params.push(filter.provider);
      }
      if (filter.environment !== undefined) {
        conditions.push('environment = ?');
        params.push(filter.environment);
      }
      const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      const rows = await database.query<Row>(`SELECT * FROM credentials${where} ORDER BY name`, params);
      return rows.map(credentialFromRow);
    },

    async updateCredential(name, patch) {
      if (patch.provider !== undefined) assertProvider(patch.provider);
      const assignments = ['updated_at = ?'];
      const params: unknown[] = [database.encodeDate(now())];
      for (const [field, target] of Object.entries(PATCH_COLUMNS)) {
        const value = patch[field as keyof CredentialPatch];
        if (value === undefined) continue;
        assignments.push(`${target.column} = ?`);
        params.push(target.json ? JSON.stringify(value) : value);
      }
      const rows = await database.query<Row>(`UPDATE credentials SET ${assignments.join(', ')} WHERE name = ? RETURNING *`, [...params, name]);
      if (rows[0] === undefined) throw new NotFoundError(`credential ${name} not found`);
      return credentialFromRow(rows[0]);
    },

    async removeCredential(name) {
      const changed = await database.execute('DELETE FROM credentials WHERE name = ?', [name]);
      if (changed === 0) throw new NotFoundError(`credential ${name} not found`);
    },
  };
}
