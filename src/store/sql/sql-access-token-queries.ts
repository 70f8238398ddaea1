/**
 * Access tokens (migration 2) on either dialect: per-application read tokens for
 * `rekey serve` and virtual tokens for `rekey proxy`. Only SHA-256 hashes are stored.
 */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { AccessToken, AccessTokenKind } from '../../core/types.js';
import type { Store } from '../store.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toBuffer, toDate, toOptionalDate, type Row } from './sql-rows.js';

type AccessTokenMethods = Pick<Store, 'insertAccessToken' | 'findAccessToken' | 'listAccessTokens' | 'revokeAccessToken'>;

function tokenFromRow(row: Row): AccessToken {
  return {
    id: String(row.id),
    kind: String(row.kind) as AccessTokenKind,
    name: String(row.name),
    credentials: fromJson(row.credentials),
    credentialIds: fromJson(row.credential_ids),
    expiresAt: toOptionalDate(row.expires_at),
    cidrs: fromJson(row.cidrs),
    allowedModels: fromJson(row.allowed_models),
    allowedEndpoints: row.allowed_endpoints === null || row.allowed_endpoints === undefined ? [] : fromJson(row.allowed_endpoints),
    createdAt: toDate(row.created_at),
    createdBy: String(row.created_by),
    revokedAt: toOptionalDate(row.revoked_at),
  };
}

export function createAccessTokenQueries({ database }: SqlStoreContext): AccessTokenMethods {
  const json = (value: unknown) => JSON.stringify(value);
  return {
    async insertAccessToken(token, hash, mac = null) {
      try {
        await database.execute(
          `INSERT INTO access_tokens (id, kind, name, credentials, credential_ids, expires_at, cidrs, allowed_models, allowed_endpoints, token_hash, created_at, created_by, revoked_at, mac)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
          [
            token.id,
            token.kind,
            token.name,
            json(token.credentials),
            json(token.credentialIds),
            token.expiresAt === null ? null : database.encodeDate(token.expiresAt),
            json(token.cidrs),
            json(token.allowedModels),
            json(token.allowedEndpoints ?? []),
            hash,
            database.encodeDate(token.createdAt),
            token.createdBy,
            mac,
          ],
        );
      } catch (error) {
        if (error instanceof ConflictError) throw new ConflictError(`a live ${token.kind} token named ${token.name} already exists`, { cause: error });
        throw error;
      }
      return {
        ...token,
        credentials: [...token.credentials],
        credentialIds: [...token.credentialIds],
        cidrs: [...token.cidrs],
        allowedModels: [...token.allowedModels],
        allowedEndpoints: [...(token.allowedEndpoints ?? [])],
        revokedAt: null,
      };
    },

    async findAccessToken(id) {
      const rows = await database.query<Row>('SELECT * FROM access_tokens WHERE id = ?', [id]);
      const row = rows[0];
      return row === undefined ? undefined : { token: tokenFromRow(row), hash: toBuffer(row.token_hash), mac: row.mac === null || row.mac === undefined ? null : String(row.mac) };
    },

    async listAccessTokens(filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.kind !== undefined) {
        conditions.push('kind = ?');
        params.push(filter.kind);
      }
      if (filter.includeRevoked !== true) conditions.push('revoked_at IS NULL');
      const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      const rows = await database.query<Row>(`SELECT * FROM access_tokens${where} ORDER BY created_at, id`, params);
      return rows.map(tokenFromRow);
    },

    async revokeAccessToken(idOrName, at, reseal) {
      return database.transaction(async (client) => {
        const rows = await client.query<Row>(
          `SELECT * FROM access_tokens WHERE revoked_at IS NULL AND (id = ? OR name = ?) ORDER BY created_at${database.forUpdate}`,
          [idOrName, idOrName],
        );
        const row = rows[0];
        if (row === undefined) throw new NotFoundError(`no live token with id or name ${idOrName}`);
        if (rows.length > 1) throw new ConflictError(`several live tokens are named ${idOrName}; revoke by id`);
        const revoked = { ...tokenFromRow(row), revokedAt: at };
        const mac = reseal === undefined ? (row.mac ?? null) : reseal(revoked, toBuffer(row.token_hash));
        await client.execute('UPDATE access_tokens SET revoked_at = ?, mac = ? WHERE id = ?', [database.encodeDate(at), mac, row.id]);
        return revoked;
      });
    },
  };
}
