/** Bring-your-own-key tenants, keys, notices and service tokens (migration 24) on either dialect; see ../byok-store-types.ts. */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { ByokKeyRecord, ByokProvider, ByokStatus, ByokStore, ByokTenantRecord, ByokTokenRecord, NewByokKey } from '../byok-store-types.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toBuffer, toDate, toOptionalDate, type Row } from './sql-rows.js';

const optionalBuffer = (value: unknown): Buffer | null => (value === null || value === undefined ? null : toBuffer(value));
const optionalText = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function tenantFromRow(row: Row): ByokTenantRecord {
  return {
    id: String(row.id),
    wrappedKey: optionalBuffer(row.wrapped_key),
    masterKeyId: optionalText(row.master_key_id),
    nextWrappedKey: optionalBuffer(row.next_wrapped_key),
    nextMasterKeyId: optionalText(row.next_master_key_id),
    webhookSecretSealed: optionalBuffer(row.webhook_secret),
    settings: fromJson(row.settings),
    createdAt: toDate(row.created_at),
    purgedAt: toOptionalDate(row.purged_at),
  };
}

function keyFromRow(row: Row): ByokKeyRecord {
  return {
    id: String(row.id),
    tenant: String(row.tenant),
    userRef: String(row.user_ref),
    provider: String(row.provider) as ByokProvider,
    label: String(row.label),
    ciphertext: toBuffer(row.ciphertext),
    hint: String(row.hint),
    fingerprint: String(row.fingerprint),
    status: String(row.status) as ByokStatus,
    statusDetail: optionalText(row.status_detail),
    createdAt: toDate(row.created_at),
    validatedAt: toOptionalDate(row.validated_at),
    lastUsedAt: toOptionalDate(row.last_used_at),
    uses: Number(row.uses),
    lastFailureAt: toOptionalDate(row.last_failure_at),
    nextCheckAt: toDate(row.next_check_at),
  };
}

function tokenFromRow(row: Row): ByokTokenRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    tenants: fromJson(row.tenants),
    expiresAt: toOptionalDate(row.expires_at),
    createdAt: toDate(row.created_at),
    createdBy: String(row.created_by),
    revokedAt: toOptionalDate(row.revoked_at),
  };
}

const KEY_COLUMNS = 'tenant, id, user_ref, provider, label, ciphertext, hint, fingerprint, status, status_detail, created_at, validated_at, next_check_at';
const KEY_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per multi-row INSERT: 13 parameters each stays far below both dialects' limits. */
const INSERT_BATCH = 500;

export function createByokQueries({ database }: SqlStoreContext): ByokStore {
  const date = (value: Date | null) => (value === null ? null : database.encodeDate(value));
  const keyParams = (key: NewByokKey) => [
    key.tenant, key.id, key.userRef, key.provider, key.label, key.ciphertext, key.hint, key.fingerprint,
    key.status, key.statusDetail, date(key.createdAt), date(key.validatedAt), date(key.nextCheckAt),
  ];
  async function tenantOrThrow(id: string): Promise<ByokTenantRecord> {
    const rows = await database.query<Row>('SELECT * FROM byok_tenants WHERE id = ?', [id]);
    if (rows[0] === undefined) throw new NotFoundError(`no BYOK tenant ${id}`);
    return tenantFromRow(rows[0]);
  }
  async function keyOrThrow(tenant: string, id: string): Promise<ByokKeyRecord> {
    const rows = await database.query<Row>('SELECT * FROM byok_keys WHERE tenant = ? AND id = ?', [tenant, id]);
    if (rows[0] === undefined) throw new NotFoundError(`no BYOK key ${id} in tenant ${tenant}`);
    return keyFromRow(rows[0]);
  }

  return {
    async createByokTenant(tenant) {
      try {
        await database.execute(
          'INSERT INTO byok_tenants (id, wrapped_key, master_key_id, webhook_secret, settings, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          [tenant.id, tenant.wrappedKey, tenant.masterKeyId, tenant.webhookSecretSealed, JSON.stringify(tenant.settings), date(tenant.createdAt)],
        );
      } catch (error) {
        if (error instanceof ConflictError) throw new ConflictError(`BYOK tenant ${tenant.id} already exists`, { cause: error });
        throw error;
      }
      return tenantOrThrow(tenant.id);
    },
    async getByokTenant(id) {
      const rows = await database.query<Row>('SELECT * FROM byok_tenants WHERE id = ?', [id]);
      return rows[0] === undefined ? undefined : tenantFromRow(rows[0]);
    },
    async updateByokTenant(id, patch) {
      const sets: string[] = [];
      const params: unknown[] = [];
      if (patch.settings !== undefined) {
        sets.push('settings = ?');
        params.push(JSON.stringify(patch.settings));
      }
      if (patch.webhookSecretSealed !== undefined) {
        sets.push('webhook_secret = ?');
        params.push(patch.webhookSecretSealed);
      }
      if (sets.length > 0) {
        const changed = await database.execute(`UPDATE byok_tenants SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
        if (changed === 0) throw new NotFoundError(`no BYOK tenant ${id}`);
      }
      return tenantOrThrow(id);
    },
    async listByokTenants(page = {}) {
      const rows = await database.query<Row>('SELECT * FROM byok_tenants WHERE id > ? ORDER BY id LIMIT ?', [page.afterId ?? '', page.limit ?? 1000]);
      return rows.map(tenantFromRow);
    },
    async setByokNextWraps(items) {
      if (items.length === 0) return;
      await database.transaction(async (client) => {
        for (const item of items) {
          await client.execute('UPDATE byok_tenants SET next_wrapped_key = ?, next_master_key_id = ? WHERE id = ? AND wrapped_key IS NOT NULL', [
            item.wrappedKey, item.masterKeyId, item.id,
          ]);
        }
      });
    },
    async promoteByokWraps(masterKeyId) {
      return database.execute(
        `UPDATE byok_tenants SET wrapped_key = next_wrapped_key, master_key_id = next_master_key_id, next_wrapped_key = NULL, next_master_key_id = NULL
         WHERE next_master_key_id = ? AND wrapped_key IS NOT NULL`,
        [masterKeyId],
      );
    },
    async shredByokTenantKey(id, at) {
      const changed = await database.execute(
        'UPDATE byok_tenants SET wrapped_key = NULL, master_key_id = NULL, next_wrapped_key = NULL, next_master_key_id = NULL, webhook_secret = NULL, purged_at = COALESCE(purged_at, ?) WHERE id = ?',
        [date(at), id],
      );
      if (changed === 0) throw new NotFoundError(`no BYOK tenant ${id}`);
      return tenantOrThrow(id);
    },
    async removeByokTenant(id) {
      return database.transaction(async (client) => {
        const removed = await client.execute('DELETE FROM byok_keys WHERE tenant = ?', [id]);
        await client.execute('DELETE FROM byok_notices WHERE tenant = ?', [id]);
        const tenants = await client.execute('DELETE FROM byok_tenants WHERE id = ?', [id]);
        if (tenants === 0) throw new NotFoundError(`no BYOK tenant ${id}`);
        return removed;
      });
    },

    async putByokKey(key) {
      await database.transaction(async (client) => {
        const tenants = await client.query<Row>('SELECT wrapped_key FROM byok_tenants WHERE id = ?', [key.tenant]);
        if (tenants[0] === undefined) throw new NotFoundError(`no BYOK tenant ${key.tenant}`);
        if (tenants[0].wrapped_key === null) throw new ConflictError(`BYOK tenant ${key.tenant} was purged`);
        const replaced = await client.query<Row>('SELECT id FROM byok_keys WHERE tenant = ? AND user_ref = ? AND provider = ? AND label = ?', [
          key.tenant, key.userRef, key.provider, key.label,
        ]);
        if (replaced[0] !== undefined) {
          await client.execute('DELETE FROM byok_keys WHERE tenant = ? AND id = ?', [key.tenant, replaced[0].id]);
          await client.execute('DELETE FROM byok_notices WHERE key_id = ?', [replaced[0].id]);
        }
        await client.execute(`INSERT INTO byok_keys (${KEY_COLUMNS}) VALUES ${KEY_PLACEHOLDERS}`, keyParams(key));
      });
      return keyOrThrow(key.tenant, key.id);
    },
    async insertByokKeys(keys) {
      await database.transaction(async (client) => {
        for (let start = 0; start < keys.length; start += INSERT_BATCH) {
          const batch = keys.slice(start, start + INSERT_BATCH);
          await client.execute(`INSERT INTO byok_keys (${KEY_COLUMNS}) VALUES ${batch.map(() => KEY_PLACEHOLDERS).join(', ')}`, batch.flatMap(keyParams));
        }
      });
    },
    async getByokKey(tenant, id) {
      const rows = await database.query<Row>('SELECT * FROM byok_keys WHERE tenant = ? AND id = ?', [tenant, id]);
      return rows[0] === undefined ? undefined : keyFromRow(rows[0]);
    },
    async findByokKey(tenant, userRef, provider, label) {
      const rows = await database.query<Row>('SELECT * FROM byok_keys WHERE tenant = ? AND user_ref = ? AND provider = ? AND label = ?', [tenant, userRef, provider, label]);
      return rows[0] === undefined ? undefined : keyFromRow(rows[0]);
    },
    async listByokKeys(tenant, page = {}) {
      const params: unknown[] = [tenant, page.afterId ?? ''];
      let userClause = '';
      if (page.userRef !== undefined) {
        userClause = ' AND user_ref = ?';
        params.push(page.userRef);
      }
      params.push(page.limit ?? 1000);
      const rows = await database.query<Row>(`SELECT * FROM byok_keys WHERE tenant = ? AND id > ?${userClause} ORDER BY id LIMIT ?`, params);
      return rows.map(keyFromRow);
    },
    async findByokKeysByFingerprint(tenant, fingerprint) {
      const rows = await database.query<Row>('SELECT * FROM byok_keys WHERE tenant = ? AND fingerprint = ? ORDER BY id', [tenant, fingerprint]);
      return rows.map(keyFromRow);
    },
    async deleteByokKey(tenant, id) {
      const changed = await database.execute('DELETE FROM byok_keys WHERE tenant = ? AND id = ?', [tenant, id]);
      if (changed === 0) throw new NotFoundError(`no BYOK key ${id} in tenant ${tenant}`);
      await database.execute('DELETE FROM byok_notices WHERE key_id = ?', [id]);
    },
    async recordByokUse(tenant, id, at) {
      const rows = await database.query<Row>('UPDATE byok_keys SET uses = uses + 1, last_used_at = ? WHERE tenant = ? AND id = ? RETURNING uses', [date(at), tenant, id]);
      if (rows[0] === undefined) throw new NotFoundError(`no BYOK key ${id} in tenant ${tenant}`);
      return Number(rows[0].uses);
    },
    async setByokStatus(tenant, id, update) {
      const changed = await database.execute(
        'UPDATE byok_keys SET status = ?, status_detail = ?, validated_at = ?, next_check_at = ?, last_failure_at = COALESCE(?, last_failure_at) WHERE tenant = ? AND id = ?',
        [update.status, update.statusDetail, date(update.validatedAt), date(update.nextCheckAt), update.failureAt === undefined ? null : date(update.failureAt), tenant, id],
      );
      if (changed === 0) throw new NotFoundError(`no BYOK key ${id} in tenant ${tenant}`);
      return keyOrThrow(tenant, id);
    },
    async listByokDue(provider, now, limit) {
      const rows = await database.query<Row>('SELECT * FROM byok_keys WHERE provider = ? AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?', [provider, date(now), limit]);
      return rows.map(keyFromRow);
    },
    async listAllByokKeys(page) {
      const rows = page.after === undefined
        ? await database.query<Row>('SELECT * FROM byok_keys ORDER BY tenant, id LIMIT ?', [page.limit])
        : await database.query<Row>('SELECT * FROM byok_keys WHERE tenant > ? OR (tenant = ? AND id > ?) ORDER BY tenant, id LIMIT ?', [
          page.after.tenant, page.after.tenant, page.after.id, page.limit,
        ]);
      return rows.map(keyFromRow);
    },
    async measureByokStorage() {
      const counted = await database.query<Row>('SELECT count(*) AS n FROM byok_keys');
      const keys = Number(counted[0]?.n ?? 0);
      if (database.dialect === 'postgres') {
        const rows = await database.query<Row>("SELECT pg_total_relation_size('byok_keys') AS bytes");
        return { keys, bytes: Number(rows[0]?.bytes ?? 0) };
      }
      // SQLite: the pages the table and its indexes occupy (dbstat when compiled in, else the whole file's used pages).
      try {
        const rows = await database.query<Row>("SELECT sum(pgsize) AS bytes FROM dbstat WHERE name = 'byok_keys' OR name LIKE 'byok_keys_%' OR name LIKE 'sqlite_autoindex_byok_keys%'");
        return { keys, bytes: Number(rows[0]?.bytes ?? 0) };
      } catch {
        const pages = await database.query<Row>('SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS pages, (SELECT page_size FROM pragma_page_size()) AS size');
        return { keys, bytes: Number(pages[0]?.pages ?? 0) * Number(pages[0]?.size ?? 0) };
      }
    },

    async claimByokNotice(keyId, reason, now, cadenceMs) {
      return database.transaction(async (client) => {
        const rows = await client.query<Row>(`SELECT last_sent_at FROM byok_notices WHERE key_id = ? AND reason = ?${database.forUpdate}`, [keyId, reason]);
        const row = rows[0];
        if (row === undefined) {
          const keys = await client.query<Row>('SELECT tenant FROM byok_keys WHERE id = ?', [keyId]);
          if (keys[0] === undefined) throw new NotFoundError(`no BYOK key ${keyId}`);
          await client.execute('INSERT INTO byok_notices (key_id, reason, tenant, last_sent_at) VALUES (?, ?, ?, ?)', [keyId, reason, keys[0].tenant, date(now)]);
          return true;
        }
        if (toDate(row.last_sent_at).getTime() > now.getTime() - cadenceMs) return false;
        await client.execute('UPDATE byok_notices SET last_sent_at = ? WHERE key_id = ? AND reason = ?', [date(now), keyId, reason]);
        return true;
      });
    },
    async releaseByokNotice(keyId, reason, previous) {
      if (previous === null) await database.execute('DELETE FROM byok_notices WHERE key_id = ? AND reason = ?', [keyId, reason]);
      else await database.execute('UPDATE byok_notices SET last_sent_at = ? WHERE key_id = ? AND reason = ?', [date(previous), keyId, reason]);
    },
    async lastByokNotice(keyId, reason) {
      const rows = await database.query<Row>('SELECT last_sent_at FROM byok_notices WHERE key_id = ? AND reason = ?', [keyId, reason]);
      return rows[0] === undefined ? null : toDate(rows[0].last_sent_at);
    },

    async insertByokToken(token, hash, mac) {
      try {
        await database.execute(
          'INSERT INTO byok_tokens (id, name, tenants, token_hash, expires_at, created_at, created_by, revoked_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)',
          [token.id, token.name, JSON.stringify(token.tenants), hash, date(token.expiresAt), date(token.createdAt), token.createdBy, mac],
        );
      } catch (error) {
        if (error instanceof ConflictError) throw new ConflictError(`a live BYOK token named ${token.name} already exists`, { cause: error });
        throw error;
      }
      return { ...token, tenants: [...token.tenants], revokedAt: null };
    },
    async findByokToken(id) {
      const rows = await database.query<Row>('SELECT * FROM byok_tokens WHERE id = ?', [id]);
      const row = rows[0];
      return row === undefined ? undefined : { token: tokenFromRow(row), hash: toBuffer(row.token_hash), mac: optionalText(row.mac) };
    },
    async listByokTokens() {
      const rows = await database.query<Row>('SELECT * FROM byok_tokens WHERE revoked_at IS NULL ORDER BY created_at, id');
      return rows.map(tokenFromRow);
    },
    async revokeByokToken(idOrName, at, reseal) {
      return database.transaction(async (client) => {
        const rows = await client.query<Row>(`SELECT * FROM byok_tokens WHERE revoked_at IS NULL AND (id = ? OR name = ?)${database.forUpdate}`, [idOrName, idOrName]);
        const row = rows[0];
        if (row === undefined) throw new NotFoundError(`no live BYOK token with id or name ${idOrName}`);
        const revoked = { ...tokenFromRow(row), revokedAt: at };
        const mac = reseal === undefined ? optionalText(row.mac) : reseal(revoked, toBuffer(row.token_hash));
        await client.execute('UPDATE byok_tokens SET revoked_at = ?, mac = ? WHERE id = ?', [date(at), mac, row.id]);
        return revoked;
      });
    },
  };
}
