import type { Migration } from '../sql/sql-database.js';

/**
 * SQLite schema, oldest first. Released migrations are never edited; add a new one.
 * Times are ISO-8601 UTC text (`toISOString`), which sorts and compares as time does.
 */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'vault, audit log, rotations, leases',
    statements: [
      `CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      )`,
      `CREATE TABLE credentials (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        scope TEXT NOT NULL,
        environment TEXT NOT NULL,
        owner TEXT,
        purpose TEXT,
        allowed_models TEXT NOT NULL,
        tags TEXT NOT NULL,
        policy TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE versions (
        credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
        number INTEGER NOT NULL CHECK (number > 0),
        stage TEXT NOT NULL CHECK (stage IN ('pending', 'current', 'previous', 'revoked', 'discarded')),
        provider_key_id TEXT,
        fingerprint TEXT NOT NULL,
        hint TEXT NOT NULL,
        minted_by TEXT NOT NULL,
        ciphertext BLOB NOT NULL,
        wrapped_key BLOB NOT NULL,
        master_key_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        stage_changed_at TEXT NOT NULL,
        PRIMARY KEY (credential_id, number)
      )`,
      // The database, not only the code, keeps at most one version per live stage.
      `CREATE UNIQUE INDEX versions_one_per_stage ON versions (credential_id, stage)
        WHERE stage IN ('pending', 'current', 'previous')`,
      `CREATE INDEX versions_fingerprint ON versions (fingerprint)`,
      `CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY CHECK (seq > 0),
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        actor TEXT NOT NULL,
        credential TEXT,
        fingerprint TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE INDEX audit_events_credential ON audit_events (credential, seq)`,
      // Append-only for anyone going through SQL without first dropping these triggers;
      // the hash chain catches those who do.
      `CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END`,
      `CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END`,
      `CREATE TABLE consumers (
        credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        config TEXT NOT NULL,
        reload TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (credential_id, name)
      )`,
      `CREATE TABLE rotations (
        id TEXT PRIMARY KEY,
        credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('manual', 'scheduled', 'emergency', 'drill')),
        state TEXT NOT NULL,
        data TEXT NOT NULL,
        revision INTEGER NOT NULL,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
      )`,
      `CREATE INDEX rotations_credential ON rotations (credential_id, created_at)`,
      `CREATE TABLE rotation_journal (
        rotation_id TEXT NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        step TEXT NOT NULL,
        phase TEXT NOT NULL CHECK (phase IN ('begin', 'end', 'error', 'note')),
        detail TEXT NOT NULL,
        PRIMARY KEY (rotation_id, seq)
      )`,
      `CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'access tokens and usage reports',
    statements: [
      // Per-application read tokens (rekey serve) and virtual tokens (rekey proxy), hashed.
      `CREATE TABLE access_tokens (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('read', 'proxy')),
        name TEXT NOT NULL,
        credentials TEXT NOT NULL,
        allowed_models TEXT NOT NULL,
        token_hash BLOB NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT
      )`,
      `CREATE UNIQUE INDEX access_tokens_live_name ON access_tokens (kind, name) WHERE revoked_at IS NULL`,
      // Who used which key version, per minute: proxy metering and SDK check-ins.
      `CREATE TABLE usage_reports (
        credential_id TEXT NOT NULL,
        version_number INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('proxy', 'sdk')),
        consumer TEXT NOT NULL,
        bucket_start TEXT NOT NULL,
        requests INTEGER NOT NULL,
        status_2xx INTEGER NOT NULL,
        status_4xx INTEGER NOT NULL,
        status_5xx INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        last_seen_at TEXT NOT NULL,
        PRIMARY KEY (credential_id, version_number, source, consumer, bucket_start)
      )`,
    ],
  },
  {
    version: 4,
    name: 'retention: shredded versions',
    statements: [
      // When a revoked or discarded version's data key and ciphertext were destroyed
      // (retention policy); its metadata and fingerprint stay for the audit trail.
      `ALTER TABLE versions ADD COLUMN shredded_at TEXT`,
      `CREATE INDEX versions_retention ON versions (stage, stage_changed_at) WHERE shredded_at IS NULL`,
    ],
  },
  {
    version: 5,
    name: 'alerts and the alert outbox',
    statements: [
      // One row per alert condition (its key): a burst of raises is one alert.
      `CREATE TABLE alerts (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
        event TEXT NOT NULL,
        channels TEXT NOT NULL,
        occurrences INTEGER NOT NULL,
        round INTEGER NOT NULL,
        reminders INTEGER NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        last_notified_at TEXT,
        resolved_at TEXT,
        by_actor TEXT,
        revision INTEGER NOT NULL
      )`,
      `CREATE INDEX alerts_state ON alerts (state, last_seen_at)`,
      // Messages to deliver, at least once; the id (message × channel) is the dedup key.
      `CREATE TABLE alert_outbox (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL,
        alert_key TEXT NOT NULL,
        position INTEGER NOT NULL,
        channel TEXT NOT NULL,
        action TEXT NOT NULL,
        message TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'dead')),
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claim_expires_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT
      )`,
      `CREATE INDEX alert_outbox_due ON alert_outbox (state, next_attempt_at)`,
      `CREATE INDEX alert_outbox_order ON alert_outbox (alert_key, channel, position)`,
    ],
  },
  {
    version: 6,
    name: 'alert heartbeats and authentication-failure counts',
    statements: [
      // The scheduler's last beat per name: the alert worker raises when it is missing.
      `CREATE TABLE heartbeats (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        beat_at TEXT NOT NULL,
        first_beat_at TEXT NOT NULL
      )`,
      // Refused tokens at serve or the proxy, per source and minute (counts only, never a token).
      `CREATE TABLE auth_failures (
        source TEXT NOT NULL,
        bucket_start TEXT NOT NULL,
        failures INTEGER NOT NULL,
        PRIMARY KEY (source, bucket_start)
      )`,
    ],
  },
  {
    version: 9,
    name: 'team mode: users, roles, role bindings, recovery codes, sessions',
    statements: [
      `CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        display_name TEXT,
        password_hash TEXT,
        groups TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        totp_sealed TEXT,
        totp_confirmed INTEGER NOT NULL DEFAULT 0,
        totp_last_step INTEGER,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        disabled_at TEXT,
        mac TEXT
      )`,
      // Hashes of one-time recovery codes; a used code keeps its row with used_at set.
      `CREATE TABLE user_recovery_codes (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at TEXT,
        PRIMARY KEY (user_id, code_hash)
      )`,
      // Built-in roles are rows so that bindings can refer to them; their capabilities come
      // from the code (src/core/team-types.ts), never from this table.
      `CREATE TABLE roles (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        require_mfa INTEGER NOT NULL,
        builtin INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        mac TEXT
      )`,
      `INSERT INTO roles (name, description, capabilities, require_mfa, builtin, created_at) VALUES
        ('viewer', 'read credential metadata', '[]', 0, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ('operator', 'rotate, emergency-rotate, end grace, manage consumers and approve, on its scope', '[]', 0, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ('admin', 'every capability', '[]', 0, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ('auditor', 'read credential metadata and the audit log', '[]', 0, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      `CREATE TABLE role_bindings (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL REFERENCES roles (name),
        subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user', 'group')),
        subject TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        mac TEXT
      )`,
      `CREATE INDEX role_bindings_subject ON role_bindings (subject_kind, subject)`,
      // Server-side sessions: only the SHA-256 of the session token is stored.
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash BLOB NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        idle_seconds INTEGER NOT NULL,
        mfa_at TEXT,
        mfa_method TEXT,
        source TEXT,
        revoked_at TEXT
      )`,
      `CREATE INDEX sessions_user ON sessions (user_id)`,
    ],
  },
  {
    version: 10,
    name: 'provider key ids on the version',
    statements: [
      // The provider-side ids a later rotation needs to revoke or replace this key, kept on
      // the version instead of only in the data of the rotation that minted it.
      `ALTER TABLE versions ADD COLUMN provider_data TEXT NOT NULL DEFAULT '{}'`,
      // Versions minted before this migration: copy them from that rotation's data.
      `UPDATE versions SET provider_data = (
         SELECT json_extract(rotations.data, '$.newKey.providerData') FROM rotations WHERE 'rotation:' || rotations.id = versions.minted_by
       )
       WHERE EXISTS (
         SELECT 1 FROM rotations
         WHERE 'rotation:' || rotations.id = versions.minted_by AND json_type(rotations.data, '$.newKey.providerData') = 'object'
       )`,
    ],
  },
  {
    version: 11,
    name: 'integrity: row MACs, tokens by credential id with expiry and CIDR binding, key deliveries',
    statements: [
      // Row MACs (issue 11): an HMAC under a key only the master key unlocks, so a row
      // written by SQL alone is refused. Users, roles and role bindings got theirs in 9.
      `ALTER TABLE access_tokens ADD COLUMN mac TEXT`,
      `ALTER TABLE consumers ADD COLUMN mac TEXT`,
      `ALTER TABLE settings ADD COLUMN mac TEXT`,
      // Tokens name credentials by id: a credential removed and created again under the
      // same name is another credential. Existing tokens keep the ids of today's names.
      `ALTER TABLE access_tokens ADD COLUMN credential_ids TEXT NOT NULL DEFAULT '[]'`,
      `UPDATE access_tokens SET credential_ids = (
        SELECT json_group_array(credentials.id) FROM json_each(access_tokens.credentials) AS granted
        JOIN credentials ON credentials.name = granted.value)`,
      `ALTER TABLE access_tokens ADD COLUMN expires_at TEXT`,
      `ALTER TABLE access_tokens ADD COLUMN cidrs TEXT NOT NULL DEFAULT '[]'`,
      // Keys handed to applications by rekey serve: first delivery and count per token and version.
      `CREATE TABLE key_deliveries (
        token_id TEXT NOT NULL,
        credential_id TEXT NOT NULL,
        version_number INTEGER NOT NULL,
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        deliveries INTEGER NOT NULL,
        PRIMARY KEY (token_id, credential_id, version_number)
      )`,
    ],
  },
  {
    version: 13,
    name: 'team mode: approval policies and requests, WebAuthn credentials, single-use auth challenges, OIDC identities',
    statements: [
      // Two-person rules: which capabilities on which scope need how many approvers from which role or group.
      `CREATE TABLE approval_policies (
        name TEXT PRIMARY KEY,
        capabilities TEXT NOT NULL,
        scope TEXT NOT NULL,
        approvals_required INTEGER NOT NULL,
        approver_role TEXT,
        approver_group TEXT,
        ttl_seconds INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        mac TEXT
      )`,
      // A request binds one action to its parameters (parameters_hash) and says what will happen (plan).
      `CREATE TABLE approval_requests (
        id TEXT PRIMARY KEY,
        policy TEXT NOT NULL,
        capability TEXT NOT NULL,
        target TEXT NOT NULL,
        parameters TEXT NOT NULL,
        parameters_hash TEXT NOT NULL,
        plan TEXT NOT NULL,
        reason TEXT,
        requester TEXT NOT NULL,
        approvals_required INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'executed')),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        decided_at TEXT,
        executed_at TEXT,
        mac TEXT
      )`,
      `CREATE INDEX approval_requests_status ON approval_requests (status, created_at)`,
      `CREATE TABLE approval_decisions (
        request_id TEXT NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
        approver TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
        via TEXT NOT NULL,
        comment TEXT,
        at TEXT NOT NULL,
        mac TEXT,
        PRIMARY KEY (request_id, approver)
      )`,
      // Nonces of signed one-time approval links that were used (a replay finds its row).
      `CREATE TABLE approval_link_uses (
        nonce TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        used_at TEXT NOT NULL
      )`,
      `CREATE TABLE webauthn_credentials (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        public_key BLOB NOT NULL,
        counter INTEGER NOT NULL,
        transports TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        mac TEXT
      )`,
      `CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id)`,
      // Short-lived single-use state: WebAuthn challenges, OIDC login state (PKCE verifier sealed by the caller).
      `CREATE TABLE auth_challenges (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      )`,
      // A person signed in through an OIDC issuer: (issuer, subject) → user.
      `CREATE TABLE user_identities (
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        last_login_at TEXT,
        PRIMARY KEY (issuer, subject)
      )`,
      // Machines: a CI job's OIDC token from `issuer` whose claims match `bound_claims` acts as this identity, with its groups.
      `CREATE TABLE workload_identities (
        name TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        audience TEXT NOT NULL,
        bound_claims TEXT NOT NULL,
        groups TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        mac TEXT
      )`,
    ],
  },
  {
    version: 18,
    name: 'proxy tokens: granted endpoint groups',
    statements: [`ALTER TABLE access_tokens ADD COLUMN allowed_endpoints TEXT`],
  },
  {
    version: 19,
    name: 'passkeys: relying party, device type, backup state and clone flag of each WebAuthn credential',
    statements: [
      // Migration 13 made the table; what a passkey needs besides: the RP ID it is bound to,
      // single- or multi-device, backed up or not, and when its signature counter went backwards.
      `ALTER TABLE webauthn_credentials ADD COLUMN rp_id TEXT NOT NULL DEFAULT ''`,
      `ALTER TABLE webauthn_credentials ADD COLUMN device_type TEXT NOT NULL DEFAULT 'singleDevice'`,
      `ALTER TABLE webauthn_credentials ADD COLUMN backed_up INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE webauthn_credentials ADD COLUMN flagged_at TEXT`,
      `ALTER TABLE webauthn_credentials ADD COLUMN flag_reason TEXT`,
    ],
  },
  {
    version: 20,
    name: 'OIDC: SSO providers, session groups from the IdP, sealed person links, workload sessions',
    statements: [
      // An OIDC issuer people sign in through; the client secret is sealed under the master key by the caller.
      `CREATE TABLE sso_providers (
        name TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        client_secret_sealed TEXT,
        groups_claim TEXT NOT NULL,
        allowed_domains TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        mac TEXT
      )`,
      // (issuer, subject) → user grants the power to sign in as that user: it carries a MAC too.
      `ALTER TABLE user_identities ADD COLUMN provider TEXT`,
      `ALTER TABLE user_identities ADD COLUMN mac TEXT`,
      // The groups an IdP asserted at this login: they last as long as the session, never longer.
      `CREATE TABLE session_claims (
        session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        groups TEXT NOT NULL,
        mac TEXT
      )`,
      // A CI job's OIDC token exchanged for a short session (no refresh); only the token's SHA-256 is stored.
      `CREATE TABLE workload_sessions (
        id TEXT PRIMARY KEY,
        identity TEXT NOT NULL,
        subject TEXT NOT NULL,
        token_hash BLOB NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        source TEXT,
        revoked_at TEXT,
        mac TEXT
      )`,
      `CREATE INDEX workload_sessions_identity ON workload_sessions (identity)`,
    ],
  },
  {
    version: 21,
    name: 'sessions carry a row MAC (a session row written by SQL is refused)',
    statements: [`ALTER TABLE sessions ADD COLUMN mac TEXT`],
  },
  {
    version: 24,
    name: 'bring your own key: tenants with wrapped data keys, end-user keys, notices, service tokens',
    statements: [
      // One data key per tenant, wrapped by the master key; NULL once purged (crypto-shredding).
      `CREATE TABLE byok_tenants (
        id TEXT PRIMARY KEY,
        wrapped_key BLOB,
        master_key_id TEXT,
        next_wrapped_key BLOB,
        next_master_key_id TEXT,
        webhook_secret BLOB,
        settings TEXT NOT NULL,
        created_at TEXT NOT NULL,
        purged_at TEXT
      )`,
      // End users' keys, each sealed under its tenant's data key (AAD: tenant, user, provider, id).
      `CREATE TABLE byok_keys (
        tenant TEXT NOT NULL REFERENCES byok_tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        user_ref TEXT NOT NULL,
        provider TEXT NOT NULL CHECK (provider IN ('openai', 'anthropic', 'openrouter')),
        label TEXT NOT NULL,
        ciphertext BLOB NOT NULL,
        hint TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('valid', 'invalid', 'no-quota', 'no-model-access', 'unknown')),
        status_detail TEXT,
        created_at TEXT NOT NULL,
        validated_at TEXT,
        last_used_at TEXT,
        uses INTEGER NOT NULL DEFAULT 0,
        last_failure_at TEXT,
        next_check_at TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      )`,
      `CREATE UNIQUE INDEX byok_keys_slot ON byok_keys (tenant, user_ref, provider, label)`,
      `CREATE UNIQUE INDEX byok_keys_id ON byok_keys (id)`,
      `CREATE INDEX byok_keys_fingerprint ON byok_keys (tenant, fingerprint)`,
      `CREATE INDEX byok_keys_due ON byok_keys (provider, next_check_at)`,
      // The last notice of each reason per key, so reminders never come more often than the cadence.
      `CREATE TABLE byok_notices (
        key_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        tenant TEXT NOT NULL,
        last_sent_at TEXT NOT NULL,
        PRIMARY KEY (key_id, reason)
      )`,
      // Service tokens of SaaS applications, scoped to tenants; SHA-256 hashes only, row MAC.
      `CREATE TABLE byok_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tenants TEXT NOT NULL,
        token_hash BLOB NOT NULL,
        expires_at TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT,
        mac TEXT
      )`,
      `CREATE UNIQUE INDEX byok_tokens_live_name ON byok_tokens (name) WHERE revoked_at IS NULL`,
    ],
  },
];
