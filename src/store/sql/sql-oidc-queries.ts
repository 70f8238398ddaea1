/** OIDC for people and machines (migration 20) on either dialect; see src/store/identity-store-types.ts. */
import { NotFoundError } from '../../core/errors.js';
import type { AuthChallengeRecord, OidcStore, SessionClaimsRecord, SsoProviderRecord, UserIdentityRecord, WorkloadSessionRecord } from '../identity-store-types.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toBuffer, toDate, toOptionalDate, type Row } from './sql-rows.js';

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function providerFromRow(row: Row): SsoProviderRecord {
  return {
    name: String(row.name),
    issuer: String(row.issuer),
    clientId: String(row.client_id),
    clientSecretSealed: text(row.client_secret_sealed),
    groupsClaim: String(row.groups_claim),
    allowedDomains: fromJson<string[]>(row.allowed_domains),
    createdAt: toDate(row.created_at),
    createdBy: String(row.created_by),
    mac: text(row.mac),
  };
}

function linkFromRow(row: Row): UserIdentityRecord {
  return {
    issuer: String(row.issuer),
    subject: String(row.subject),
    userId: String(row.user_id),
    provider: text(row.provider),
    createdAt: toDate(row.created_at),
    lastLoginAt: toOptionalDate(row.last_login_at),
    mac: text(row.mac),
  };
}

function challengeFromRow(row: Row): AuthChallengeRecord {
  return {
    id: String(row.id),
    kind: String(row.kind),
    subject: text(row.subject),
    data: String(row.data),
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    usedAt: toOptionalDate(row.used_at),
  };
}

function workloadSessionFromRow(row: Row): WorkloadSessionRecord {
  return {
    id: String(row.id),
    identity: String(row.identity),
    subject: String(row.subject),
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    source: text(row.source),
    revokedAt: toOptionalDate(row.revoked_at),
    mac: text(row.mac),
  };
}

export function createOidcQueries({ database }: SqlStoreContext): OidcStore {
  const date = (value: Date | null) => (value === null ? null : database.encodeDate(value));
  return {
    async saveSsoProvider(provider) {
      await database.execute(
        `INSERT INTO sso_providers (name, issuer, client_id, client_secret_sealed, groups_claim, allowed_domains, created_at, created_by, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, client_secret_sealed = excluded.client_secret_sealed,
           groups_claim = excluded.groups_claim, allowed_domains = excluded.allowed_domains, mac = excluded.mac`,
        [provider.name, provider.issuer, provider.clientId, provider.clientSecretSealed, provider.groupsClaim, JSON.stringify(provider.allowedDomains), date(provider.createdAt), provider.createdBy, provider.mac],
      );
      const rows = await database.query<Row>('SELECT * FROM sso_providers WHERE name = ?', [provider.name]);
      return providerFromRow(rows[0] as Row);
    },
    async getSsoProvider(name) {
      const rows = await database.query<Row>('SELECT * FROM sso_providers WHERE name = ?', [name]);
      return rows[0] === undefined ? undefined : providerFromRow(rows[0]);
    },
    async listSsoProviders() {
      return (await database.query<Row>('SELECT * FROM sso_providers ORDER BY name')).map(providerFromRow);
    },
    async removeSsoProvider(name) {
      const changed = await database.execute('DELETE FROM sso_providers WHERE name = ?', [name]);
      if (changed === 0) throw new NotFoundError(`no SSO provider named ${name}`, { hint: 'rekey sso list' });
    },

    async linkUserIdentity(link) {
      await database.execute('INSERT INTO user_identities (issuer, subject, user_id, provider, created_at, mac) VALUES (?, ?, ?, ?, ?, ?)', [
        link.issuer, link.subject, link.userId, link.provider, date(link.createdAt), link.mac,
      ]);
      return { ...link, lastLoginAt: null };
    },
    async findUserIdentity(issuer, subject) {
      const rows = await database.query<Row>('SELECT * FROM user_identities WHERE issuer = ? AND subject = ?', [issuer, subject]);
      return rows[0] === undefined ? undefined : linkFromRow(rows[0]);
    },
    async listUserIdentities(filter = {}) {
      const rows = filter.userId === undefined
        ? await database.query<Row>('SELECT * FROM user_identities ORDER BY issuer, subject')
        : await database.query<Row>('SELECT * FROM user_identities WHERE user_id = ? ORDER BY issuer, subject', [filter.userId]);
      return rows.map(linkFromRow);
    },
    async touchUserIdentity(issuer, subject, at) {
      await database.execute('UPDATE user_identities SET last_login_at = ? WHERE issuer = ? AND subject = ?', [date(at), issuer, subject]);
    },

    async createAuthChallenge(challenge) {
      await database.execute('INSERT INTO auth_challenges (id, kind, subject, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
        challenge.id, challenge.kind, challenge.subject, challenge.data, date(challenge.createdAt), date(challenge.expiresAt),
      ]);
    },
    async consumeAuthChallenge(id, kind, at) {
      // One statement: of two racing consumers exactly one sees the row come back.
      const rows = await database.query<Row>('UPDATE auth_challenges SET used_at = ? WHERE id = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING *', [date(at), id, kind, date(at)]);
      return rows[0] === undefined ? undefined : challengeFromRow(rows[0]);
    },
    async purgeAuthChallenges(before) {
      return database.execute('DELETE FROM auth_challenges WHERE expires_at < ?', [date(before)]);
    },

    async setSessionClaims(claims: SessionClaimsRecord) {
      await database.execute(
        `INSERT INTO session_claims (session_id, provider, groups, mac) VALUES (?, ?, ?, ?)
         ON CONFLICT (session_id) DO UPDATE SET provider = excluded.provider, groups = excluded.groups, mac = excluded.mac`,
        [claims.sessionId, claims.provider, JSON.stringify(claims.groups), claims.mac],
      );
    },
    async getSessionClaims(sessionId) {
      const rows = await database.query<Row>('SELECT * FROM session_claims WHERE session_id = ?', [sessionId]);
      const row = rows[0];
      return row === undefined ? undefined : { sessionId: String(row.session_id), provider: String(row.provider), groups: fromJson<string[]>(row.groups), mac: text(row.mac) };
    },

    async createWorkloadSession(session, tokenHash) {
      await database.execute(
        'INSERT INTO workload_sessions (id, identity, subject, token_hash, created_at, expires_at, source, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [session.id, session.identity, session.subject, tokenHash, date(session.createdAt), date(session.expiresAt), session.source, session.mac],
      );
      return { ...session, revokedAt: null };
    },
    async findWorkloadSession(id) {
      const rows = await database.query<Row>('SELECT * FROM workload_sessions WHERE id = ?', [id]);
      const row = rows[0];
      return row === undefined ? undefined : { session: workloadSessionFromRow(row), tokenHash: toBuffer(row.token_hash) };
    },
    async revokeWorkloadSession(id, at) {
      await database.execute('UPDATE workload_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [date(at), id]);
    },
    async revokeWorkloadSessions(identity, at) {
      return database.execute('UPDATE workload_sessions SET revoked_at = ? WHERE identity = ? AND revoked_at IS NULL', [date(at), identity]);
    },
  };
}
