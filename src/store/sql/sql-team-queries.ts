/**
 * Users, roles, role bindings, recovery codes and sessions (migration 9) on either dialect;
 * see src/store/team-store-types.ts for the invariants.
 */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { BUILTIN_ROLES, isBuiltinRole, type Capability, type Scope } from '../../core/team-types.js';
import type { RoleBindingRecord, RoleRecord, SessionRecord, SessionResealer, TeamStore, UserPatch, UserRecord } from '../team-store-types.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toBuffer, toDate, toOptionalDate, type Row } from './sql-rows.js';

const optionalText = (value: unknown) => (value === null || value === undefined ? null : String(value));
const flag = (value: unknown) => value === true || Number(value) === 1;

function userFromRow(row: Row): UserRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    displayName: optionalText(row.display_name),
    passwordHash: optionalText(row.password_hash),
    groups: fromJson(row.groups),
    status: String(row.status) as UserRecord['status'],
    totpSealed: optionalText(row.totp_sealed),
    totpConfirmed: flag(row.totp_confirmed),
    totpLastStep: row.totp_last_step === null || row.totp_last_step === undefined ? null : Number(row.totp_last_step),
    createdAt: toDate(row.created_at),
    createdBy: String(row.created_by),
    disabledAt: toOptionalDate(row.disabled_at),
    mac: optionalText(row.mac),
  };
}

function roleFromRow(row: Row): RoleRecord {
  const name = String(row.name);
  const builtin = flag(row.builtin);
  // A built-in role's capabilities come from the code: editing the row cannot widen them.
  const capabilities = builtin && isBuiltinRole(name) ? [...BUILTIN_ROLES[name].capabilities] : fromJson<Capability[]>(row.capabilities);
  return {
    name,
    description: String(row.description),
    capabilities,
    requireMfa: flag(row.require_mfa),
    builtin: builtin && isBuiltinRole(name),
    createdAt: toDate(row.created_at),
    mac: optionalText(row.mac),
  };
}

function bindingFromRow(row: Row): RoleBindingRecord {
  return {
    id: String(row.id),
    role: String(row.role),
    subjectKind: String(row.subject_kind) as RoleBindingRecord['subjectKind'],
    subject: String(row.subject),
    scope: fromJson<Scope>(row.scope),
    createdAt: toDate(row.created_at),
    createdBy: String(row.created_by),
    mac: optionalText(row.mac),
  };
}

function sessionFromRow(row: Row): SessionRecord {
  return {
    id: String(row.id),
    userId: String(row.user_id),
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
    idleSeconds: Number(row.idle_seconds),
    mfaAt: toOptionalDate(row.mfa_at),
    mfaMethod: optionalText(row.mfa_method),
    source: optionalText(row.source),
    revokedAt: toOptionalDate(row.revoked_at),
    mac: optionalText(row.mac),
  };
}

const USER_COLUMNS: Record<keyof UserPatch, string> = {
  displayName: 'display_name',
  passwordHash: 'password_hash',
  groups: 'groups',
  status: 'status',
  disabledAt: 'disabled_at',
  totpSealed: 'totp_sealed',
  totpConfirmed: 'totp_confirmed',
  mac: 'mac',
};

export function createTeamQueries({ database }: SqlStoreContext): TeamStore {
  const date = (value: Date | null) => (value === null ? null : database.encodeDate(value));
  const bool = (value: boolean) => (database.dialect === 'postgres' ? value : value ? 1 : 0);
  const json = (value: unknown) => JSON.stringify(value);

  async function userBy(column: 'id' | 'name', value: string): Promise<UserRecord | undefined> {
    const rows = await database.query<Row>(`SELECT * FROM users WHERE ${column} = ?`, [value]);
    return rows[0] === undefined ? undefined : userFromRow(rows[0]);
  }

  /**
   * Changes the session rows matching `where`: without `reseal` one UPDATE keeping each
   * row's MAC; with it, row by row in one transaction, each with the MAC of its new state.
   */
  async function changeSessions(where: string, params: unknown[], plain: { set: string; values: unknown[] }, change: (session: SessionRecord) => SessionRecord, reseal: SessionResealer | undefined): Promise<number> {
    if (reseal === undefined) return database.execute(`UPDATE sessions SET ${plain.set} WHERE ${where}`, [...plain.values, ...params]);
    return database.transaction(async (client) => {
      const rows = await client.query<Row>(`SELECT * FROM sessions WHERE ${where} ORDER BY id${database.forUpdate}`, params);
      for (const row of rows) {
        const next = change(sessionFromRow(row));
        await client.execute('UPDATE sessions SET last_seen_at = ?, mfa_at = ?, mfa_method = ?, revoked_at = ?, mac = ? WHERE id = ?', [
          date(next.lastSeenAt), date(next.mfaAt), next.mfaMethod, date(next.revokedAt), reseal(next, toBuffer(row.token_hash)), next.id,
        ]);
      }
      return rows.length;
    });
  }

  return {
    async createUser(user) {
      try {
        await database.execute(
          `INSERT INTO users (id, name, display_name, password_hash, groups, status, totp_confirmed, created_at, created_by, mac)
           VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)`,
          [user.id, user.name, user.displayName, user.passwordHash, json(user.groups), bool(false), date(user.createdAt), user.createdBy, user.mac],
        );
      } catch (error) {
        if (error instanceof ConflictError) throw new ConflictError(`a user named ${user.name} already exists`, { cause: error });
        throw error;
      }
      return (await userBy('id', user.id)) as UserRecord;
    },
    getUser: (name) => userBy('name', name),
    getUserById: (id) => userBy('id', id),
    async listUsers() {
      const rows = await database.query<Row>('SELECT * FROM users ORDER BY name');
      return rows.map(userFromRow);
    },
    async updateUser(id, patch) {
      const entries = (Object.keys(USER_COLUMNS) as Array<keyof UserPatch>).filter((key) => patch[key] !== undefined);
      if (entries.length > 0) {
        const values = entries.map((key) => {
          const value = patch[key];
          if (key === 'groups') return json(value);
          if (key === 'totpConfirmed') return bool(value === true);
          if (value instanceof Date) return date(value);
          return value;
        });
        // Withdrawing TOTP also forgets the last step, so a new secret starts fresh.
        const resetStep = patch.totpSealed === null ? ', totp_last_step = NULL' : '';
        const changed = await database.execute(`UPDATE users SET ${entries.map((key) => `${USER_COLUMNS[key]} = ?`).join(', ')}${resetStep} WHERE id = ?`, [...values, id]);
        if (changed === 0) throw new NotFoundError(`no user with id ${id}`);
      }
      const user = await userBy('id', id);
      if (user === undefined) throw new NotFoundError(`no user with id ${id}`);
      return user;
    },
    async advanceTotpStep(userId, step) {
      const changed = await database.execute('UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)', [step, userId, step]);
      return changed > 0;
    },
    async setRecoveryCodes(userId, hashes, at) {
      await database.transaction(async (client) => {
        await client.execute('DELETE FROM user_recovery_codes WHERE user_id = ?', [userId]);
        for (const hash of hashes) {
          await client.execute('INSERT INTO user_recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)', [userId, hash, date(at)]);
        }
      });
    },
    async consumeRecoveryCode(userId, hash, at) {
      const changed = await database.execute('UPDATE user_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL', [date(at), userId, hash]);
      return changed > 0;
    },
    async countRecoveryCodes(userId) {
      const rows = await database.query<Row>('SELECT COUNT(*) AS count FROM user_recovery_codes WHERE user_id = ? AND used_at IS NULL', [userId]);
      return Number(rows[0]?.count ?? 0);
    },

    async listRoles() {
      const rows = await database.query<Row>('SELECT * FROM roles ORDER BY builtin DESC, name');
      return rows.map(roleFromRow);
    },
    async getRole(name) {
      const rows = await database.query<Row>('SELECT * FROM roles WHERE name = ?', [name]);
      return rows[0] === undefined ? undefined : roleFromRow(rows[0]);
    },
    async saveRole(role, at) {
      return database.transaction(async (client) => {
        const rows = await client.query<Row>(`SELECT * FROM roles WHERE name = ?${database.forUpdate}`, [role.name]);
        const existing = rows[0] === undefined ? undefined : roleFromRow(rows[0]);
        if (existing?.builtin === true) {
          const same = existing.capabilities.length === role.capabilities.length && existing.capabilities.every((capability) => role.capabilities.includes(capability));
          if (!same) throw new ConflictError(`role ${role.name} is built in: its capabilities cannot change (only whether it requires MFA)`);
          await client.execute('UPDATE roles SET require_mfa = ?, mac = ? WHERE name = ?', [bool(role.requireMfa), role.mac, role.name]);
        } else if (existing !== undefined) {
          await client.execute('UPDATE roles SET description = ?, capabilities = ?, require_mfa = ?, mac = ? WHERE name = ?', [role.description, json(role.capabilities), bool(role.requireMfa), role.mac, role.name]);
        } else {
          await client.execute('INSERT INTO roles (name, description, capabilities, require_mfa, builtin, created_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?)', [
            role.name, role.description, json(role.capabilities), bool(role.requireMfa), bool(false), date(at), role.mac,
          ]);
        }
        const saved = await client.query<Row>('SELECT * FROM roles WHERE name = ?', [role.name]);
        return roleFromRow(saved[0] as Row);
      });
    },
    async removeRole(name) {
      await database.transaction(async (client) => {
        const rows = await client.query<Row>(`SELECT * FROM roles WHERE name = ?${database.forUpdate}`, [name]);
        if (rows[0] === undefined) throw new NotFoundError(`no role named ${name}`);
        if (roleFromRow(rows[0]).builtin) throw new ConflictError(`role ${name} is built in and cannot be removed`);
        const bound = await client.query<Row>('SELECT COUNT(*) AS count FROM role_bindings WHERE role = ?', [name]);
        const count = Number(bound[0]?.count ?? 0);
        if (count > 0) throw new ConflictError(`role ${name} is still bound ${count} time(s); remove its bindings first`);
        await client.execute('DELETE FROM roles WHERE name = ?', [name]);
      });
    },

    async createRoleBinding(binding) {
      const role = await database.query<Row>('SELECT name FROM roles WHERE name = ?', [binding.role]);
      if (role[0] === undefined) throw new NotFoundError(`no role named ${binding.role}`);
      await database.execute('INSERT INTO role_bindings (id, role, subject_kind, subject, scope, created_at, created_by, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        binding.id, binding.role, binding.subjectKind, binding.subject, json(binding.scope), date(binding.createdAt), binding.createdBy, binding.mac,
      ]);
      const rows = await database.query<Row>('SELECT * FROM role_bindings WHERE id = ?', [binding.id]);
      return bindingFromRow(rows[0] as Row);
    },
    async listRoleBindings(filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.subjectKind !== undefined) {
        conditions.push('subject_kind = ?');
        params.push(filter.subjectKind);
      }
      if (filter.subject !== undefined) {
        conditions.push('subject = ?');
        params.push(filter.subject);
      }
      if (filter.role !== undefined) {
        conditions.push('role = ?');
        params.push(filter.role);
      }
      const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      const rows = await database.query<Row>(`SELECT * FROM role_bindings${where} ORDER BY created_at, id`, params);
      return rows.map(bindingFromRow);
    },
    async removeRoleBinding(id) {
      const changed = await database.execute('DELETE FROM role_bindings WHERE id = ?', [id]);
      if (changed === 0) throw new NotFoundError(`no role binding with id ${id}`);
    },

    async createSession(session, tokenHash) {
      await database.execute(
        `INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, idle_seconds, mfa_at, mfa_method, source, mac)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [session.id, session.userId, tokenHash, date(session.createdAt), date(session.lastSeenAt), date(session.expiresAt), session.idleSeconds, date(session.mfaAt), session.mfaMethod, session.source, session.mac],
      );
      return { ...session, revokedAt: null };
    },
    async findSession(id) {
      const rows = await database.query<Row>('SELECT * FROM sessions WHERE id = ?', [id]);
      const row = rows[0];
      return row === undefined ? undefined : { session: sessionFromRow(row), tokenHash: toBuffer(row.token_hash) };
    },
    async touchSession(id, at, reseal) {
      await changeSessions('id = ? AND last_seen_at < ?', [id, date(at)], { set: 'last_seen_at = ?', values: [date(at)] }, (session) => ({ ...session, lastSeenAt: at }), reseal);
    },
    async recordSessionMfa(id, at, method, reseal) {
      const changed = await changeSessions('id = ? AND revoked_at IS NULL', [id], { set: 'mfa_at = ?, mfa_method = ?', values: [date(at), method] }, (session) => ({ ...session, mfaAt: at, mfaMethod: method }), reseal);
      if (changed === 0) throw new NotFoundError(`no live session ${id}`);
    },
    async revokeSession(id, at, reseal) {
      await changeSessions('id = ? AND revoked_at IS NULL', [id], { set: 'revoked_at = ?', values: [date(at)] }, (session) => ({ ...session, revokedAt: at }), reseal);
    },
    async revokeUserSessions(userId, at, reseal) {
      return changeSessions('user_id = ? AND revoked_at IS NULL', [userId], { set: 'revoked_at = ?', values: [date(at)] }, (session) => ({ ...session, revokedAt: at }), reseal);
    },
    async listSessions(filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.userId !== undefined) {
        conditions.push('user_id = ?');
        params.push(filter.userId);
      }
      if (filter.live === true) conditions.push('revoked_at IS NULL');
      const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      const rows = await database.query<Row>(`SELECT * FROM sessions${where} ORDER BY created_at, id`, params);
      return rows.map(sessionFromRow);
    },
  };
}
