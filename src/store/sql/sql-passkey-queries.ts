/** Passkeys and WebAuthn challenges (migrations 13 and 19) on either dialect; see src/store/passkey-store-types.ts. */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { PasskeyPatch, PasskeyRecord, PasskeyStore, WebauthnChallenge } from '../passkey-store-types.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toBuffer, toDate, toOptionalDate, type Row } from './sql-rows.js';

const optionalText = (value: unknown) => (value === null || value === undefined ? null : String(value));

function passkeyFromRow(row: Row): PasskeyRecord {
  return {
    id: String(row.id),
    userId: String(row.user_id),
    name: String(row.name),
    publicKey: toBuffer(row.public_key),
    counter: Number(row.counter),
    transports: fromJson<string[]>(row.transports),
    rpId: String(row.rp_id),
    deviceType: String(row.device_type) === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: row.backed_up === true || Number(row.backed_up) === 1,
    createdAt: toDate(row.created_at),
    lastUsedAt: toOptionalDate(row.last_used_at),
    flaggedAt: toOptionalDate(row.flagged_at),
    flagReason: optionalText(row.flag_reason),
    mac: optionalText(row.mac),
  };
}

function challengeFromRow(row: Row): WebauthnChallenge {
  return { id: String(row.id), kind: String(row.kind), subject: optionalText(row.subject), data: String(row.data), createdAt: toDate(row.created_at), expiresAt: toDate(row.expires_at) };
}

const PATCH_COLUMNS: Record<keyof PasskeyPatch, string> = {
  name: 'name',
  counter: 'counter',
  backedUp: 'backed_up',
  lastUsedAt: 'last_used_at',
  flaggedAt: 'flagged_at',
  flagReason: 'flag_reason',
  mac: 'mac',
};

export function createPasskeyQueries({ database }: SqlStoreContext): PasskeyStore {
  const date = (value: Date | null) => (value === null ? null : database.encodeDate(value));
  const bool = (value: boolean) => (database.dialect === 'postgres' ? value : value ? 1 : 0);

  async function passkeyBy(id: string): Promise<PasskeyRecord | undefined> {
    const rows = await database.query<Row>('SELECT * FROM webauthn_credentials WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : passkeyFromRow(rows[0]);
  }

  return {
    async addPasskey(passkey) {
      const users = await database.query<Row>('SELECT id FROM users WHERE id = ?', [passkey.userId]);
      if (users.length === 0) throw new NotFoundError(`no user with id ${passkey.userId}`);
      try {
        await database.execute(
          `INSERT INTO webauthn_credentials (id, user_id, name, public_key, counter, transports, rp_id, device_type, backed_up, created_at, last_used_at, flagged_at, flag_reason, mac)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            passkey.id, passkey.userId, passkey.name, passkey.publicKey, passkey.counter, JSON.stringify(passkey.transports), passkey.rpId, passkey.deviceType,
            bool(passkey.backedUp), date(passkey.createdAt), date(passkey.lastUsedAt), date(passkey.flaggedAt), passkey.flagReason, passkey.mac,
          ],
        );
      } catch (error) {
        if (error instanceof ConflictError) throw new ConflictError('that passkey is already registered', { cause: error });
        throw error;
      }
      return (await passkeyBy(passkey.id)) as PasskeyRecord;
    },
    getPasskey: passkeyBy,
    async listPasskeys(userId) {
      const rows = await database.query<Row>('SELECT * FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id', [userId]);
      return rows.map(passkeyFromRow);
    },
    async updatePasskey(id, patch) {
      const keys = (Object.keys(PATCH_COLUMNS) as Array<keyof PasskeyPatch>).filter((key) => patch[key] !== undefined);
      if (keys.length > 0) {
        const values = keys.map((key) => {
          const value = patch[key];
          if (key === 'backedUp') return bool(value === true);
          if (value instanceof Date) return date(value);
          return value;
        });
        const changed = await database.execute(`UPDATE webauthn_credentials SET ${keys.map((key) => `${PATCH_COLUMNS[key]} = ?`).join(', ')} WHERE id = ?`, [...values, id]);
        if (changed === 0) throw new NotFoundError(`no passkey ${id}`);
      }
      const found = await passkeyBy(id);
      if (found === undefined) throw new NotFoundError(`no passkey ${id}`);
      return found;
    },
    async removePasskey(id) {
      const changed = await database.execute('DELETE FROM webauthn_credentials WHERE id = ?', [id]);
      if (changed === 0) throw new NotFoundError(`no passkey ${id}`);
    },
    removeUserPasskeys: (userId) => database.execute('DELETE FROM webauthn_credentials WHERE user_id = ?', [userId]),

    async createWebauthnChallenge(challenge) {
      await database.execute('INSERT INTO auth_challenges (id, kind, subject, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
        challenge.id, challenge.kind, challenge.subject, challenge.data, date(challenge.createdAt), date(challenge.expiresAt),
      ]);
    },
    async consumeWebauthnChallenge(id, kind, at) {
      const rows = await database.query<Row>('UPDATE auth_challenges SET used_at = ? WHERE id = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING *', [date(at), id, kind, date(at)]);
      return rows[0] === undefined ? undefined : challengeFromRow(rows[0]);
    },
    purgeWebauthnChallenges: (before) => database.execute("DELETE FROM auth_challenges WHERE kind LIKE 'webauthn-%' AND expires_at < ?", [date(before)]),
  };
}
