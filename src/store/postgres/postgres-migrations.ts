import type { Migration } from '../sql/sql-database.js';

/** PostgreSQL schema, oldest first. Released migrations are never edited; add a new one. */
export const postgresMigrations: readonly Migration[] = [
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
        scope JSONB NOT NULL,
        environment TEXT NOT NULL,
        owner TEXT,
        purpose TEXT,
        allowed_models JSONB NOT NULL,
        tags JSONB NOT NULL,
        policy JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      )`,
      `CREATE TABLE versions (
        credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
        number INTEGER NOT NULL CHECK (number > 0),
        stage TEXT NOT NULL CHECK (stage IN ('pending', 'current', 'previous', 'revoked', 'discarded')),
        provider_key_id TEXT,
        fingerprint TEXT NOT NULL,
        hint TEXT NOT NULL,
        minted_by TEXT NOT NULL,
        ciphertext BYTEA NOT NULL,
        wrapped_key BYTEA NOT NULL,
        master_key_id TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        stage_changed_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (credential_id, number)
      )`,
      // The database, not only the code, keeps at most one version per live stage.
      `CREATE UNIQUE INDEX versions_one_per_stage ON versions (credential_id, stage)
        WHERE stage IN ('pending', 'current', 'previous')`,
      `CREATE INDEX versions_fingerprint ON versions (fingerprint)`,
      `CREATE TABLE audit_events (
        seq BIGINT PRIMARY KEY CHECK (seq > 0),
        at TIMESTAMPTZ NOT NULL,
        event TEXT NOT NULL,
        actor TEXT NOT NULL,
        credential TEXT,
        fingerprint TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
        detail JSONB NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE INDEX audit_events_credential ON audit_events (credential, seq)`,
      // Append-only for anyone going through SQL without first dropping these triggers;
      // the hash chain catches those who do.
      `CREATE FUNCTION rekey_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$`,
      `CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION rekey_audit_append_only()`,
      `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION rekey_audit_append_only()`,
      `CREATE TABLE consumers (
        credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        config JSONB NOT NULL,
        reload JSONB,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (credential_id, name)
      )`,
      `CREATE TABLE rotations (
        id TEXT PRIMARY KEY,
        credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('manual', 'scheduled', 'emergency', 'drill')),
        state TEXT NOT NULL,
        data JSONB NOT NULL,
        revision INTEGER NOT NULL,
        error TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ
      )`,
      `CREATE INDEX rotations_credential ON rotations (credential_id, created_at)`,
      `CREATE TABLE rotation_journal (
        rotation_id TEXT NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        step TEXT NOT NULL,
        phase TEXT NOT NULL CHECK (phase IN ('begin', 'end', 'error', 'note')),
        detail JSONB NOT NULL,
        PRIMARY KEY (rotation_id, seq)
      )`,
      `CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'access tokens, usage reports, key-change notifications',
    statements: [
      // Per-application read tokens (rekey serve) and virtual tokens (rekey proxy), hashed.
      `CREATE TABLE access_tokens (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('read', 'proxy')),
        name TEXT NOT NULL,
        credentials JSONB NOT NULL,
        allowed_models JSONB NOT NULL,
        token_hash BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TIMESTAMPTZ
      )`,
      `CREATE UNIQUE INDEX access_tokens_live_name ON access_tokens (kind, name) WHERE revoked_at IS NULL`,
      // Who used which key version, per minute: proxy metering and SDK check-ins.
      `CREATE TABLE usage_reports (
        credential_id TEXT NOT NULL,
        version_number INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('proxy', 'sdk')),
        consumer TEXT NOT NULL,
        bucket_start TIMESTAMPTZ NOT NULL,
        requests BIGINT NOT NULL,
        status_2xx BIGINT NOT NULL,
        status_4xx BIGINT NOT NULL,
        status_5xx BIGINT NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (credential_id, version_number, source, consumer, bucket_start)
      )`,
      // Any stage change (promote, rollback, revoke), by any process, wakes every rekey
      // serve / rekey proxy instance listening on this channel (src/store/postgres/postgres-key-changes.ts).
      `CREATE FUNCTION rekey_notify_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('rekey_key_change', NEW.credential_id);
        RETURN NULL;
      END
      $$`,
      `CREATE TRIGGER versions_notify_key_change AFTER INSERT OR UPDATE OF stage ON versions
        FOR EACH ROW EXECUTE FUNCTION rekey_notify_key_change()`,
    ],
  },
  {
    version: 4,
    name: 'retention: shredded versions',
    statements: [
      // When a revoked or discarded version's data key and ciphertext were destroyed
      // (retention policy); its metadata and fingerprint stay for the audit trail.
      `ALTER TABLE versions ADD COLUMN shredded_at TIMESTAMPTZ`,
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
        event JSONB NOT NULL,
        channels JSONB NOT NULL,
        occurrences INTEGER NOT NULL,
        round INTEGER NOT NULL,
        reminders INTEGER NOT NULL,
        first_seen_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        last_notified_at TIMESTAMPTZ,
        resolved_at TIMESTAMPTZ,
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
        message JSONB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'dead')),
        attempts INTEGER NOT NULL,
        next_attempt_at TIMESTAMPTZ NOT NULL,
        claimed_by TEXT,
        claim_expires_at TIMESTAMPTZ,
        last_error TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        delivered_at TIMESTAMPTZ
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
        beat_at TIMESTAMPTZ NOT NULL,
        first_beat_at TIMESTAMPTZ NOT NULL
      )`,
      // Refused tokens at serve or the proxy, per source and minute (counts only, never a token).
      `CREATE TABLE auth_failures (
        source TEXT NOT NULL,
        bucket_start TIMESTAMPTZ NOT NULL,
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
        groups JSONB NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        totp_sealed TEXT,
        totp_confirmed BOOLEAN NOT NULL DEFAULT FALSE,
        totp_last_step BIGINT,
        created_at TIMESTAMPTZ NOT NULL,
        created_by TEXT NOT NULL,
        disabled_at TIMESTAMPTZ,
        mac TEXT
      )`,
      // Hashes of one-time recovery codes; a used code keeps its row with used_at set.
      `CREATE TABLE user_recovery_codes (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ,
        PRIMARY KEY (user_id, code_hash)
      )`,
      // Built-in roles are rows so that bindings can refer to them; their capabilities come
      // from the code (src/core/team-types.ts), never from this table.
      `CREATE TABLE roles (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        capabilities JSONB NOT NULL,
        require_mfa BOOLEAN NOT NULL,
        builtin BOOLEAN NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        mac TEXT
      )`,
      `INSERT INTO roles (name, description, capabilities, require_mfa, builtin, created_at) VALUES
        ('viewer', 'read credential metadata', '[]', FALSE, TRUE, now()),
        ('operator', 'rotate, emergency-rotate, end grace, manage consumers and approve, on its scope', '[]', FALSE, TRUE, now()),
        ('admin', 'every capability', '[]', FALSE, TRUE, now()),
        ('auditor', 'read credential metadata and the audit log', '[]', FALSE, TRUE, now())`,
      `CREATE TABLE role_bindings (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL REFERENCES roles (name),
        subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user', 'group')),
        subject TEXT NOT NULL,
        scope JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        created_by TEXT NOT NULL,
        mac TEXT
      )`,
      `CREATE INDEX role_bindings_subject ON role_bindings (subject_kind, subject)`,
      // Server-side sessions: only the SHA-256 of the session token is stored.
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        idle_seconds INTEGER NOT NULL,
        mfa_at TIMESTAMPTZ,
        mfa_method TEXT,
        source TEXT,
        revoked_at TIMESTAMPTZ
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
      `ALTER TABLE versions ADD COLUMN provider_data JSONB NOT NULL DEFAULT '{}'::jsonb`,
      // Versions minted before this migration: copy them from that rotation's data.
      `UPDATE versions SET provider_data = rotations.data -> 'newKey' -> 'providerData'
       FROM rotations
       WHERE versions.minted_by = 'rotation:' || rotations.id AND jsonb_typeof(rotations.data -> 'newKey' -> 'providerData') = 'object'`,
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
      `ALTER TABLE access_tokens ADD COLUMN credential_ids JSONB NOT NULL DEFAULT '[]'::jsonb`,
      `UPDATE access_tokens SET credential_ids = (
        SELECT COALESCE(jsonb_agg(credentials.id), '[]'::jsonb) FROM jsonb_array_elements_text(access_tokens.credentials) AS granted (name)
        JOIN credentials ON credentials.name = granted.name)`,
      `ALTER TABLE access_tokens ADD COLUMN expires_at TIMESTAMPTZ`,
      `ALTER TABLE access_tokens ADD COLUMN cidrs JSONB NOT NULL DEFAULT '[]'::jsonb`,
      // Keys handed to applications by rekey serve: first delivery and count per token and version.
      `CREATE TABLE key_deliveries (
        token_id TEXT NOT NULL,
        credential_id TEXT NOT NULL,
        version_number INTEGER NOT NULL,
        first_at TIMESTAMPTZ NOT NULL,
        last_at TIMESTAMPTZ NOT NULL,
        deliveries BIGINT NOT NULL,
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
        capabilities JSONB NOT NULL,
        scope JSONB NOT NULL,
        approvals_required INTEGER NOT NULL,
        approver_role TEXT,
        approver_group TEXT,
        ttl_seconds INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        created_by TEXT NOT NULL,
        mac TEXT
      )`,
      // A request binds one action to its parameters (parameters_hash) and says what will happen (plan).
      `CREATE TABLE approval_requests (
        id TEXT PRIMARY KEY,
        policy TEXT NOT NULL,
        capability TEXT NOT NULL,
        target JSONB NOT NULL,
        parameters JSONB NOT NULL,
        parameters_hash TEXT NOT NULL,
        plan JSONB NOT NULL,
        reason TEXT,
        requester TEXT NOT NULL,
        approvals_required INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'executed')),
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        decided_at TIMESTAMPTZ,
        executed_at TIMESTAMPTZ,
        mac TEXT
      )`,
      `CREATE INDEX approval_requests_status ON approval_requests (status, created_at)`,
      `CREATE TABLE approval_decisions (
        request_id TEXT NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
        approver TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
        via TEXT NOT NULL,
        comment TEXT,
        at TIMESTAMPTZ NOT NULL,
        mac TEXT,
        PRIMARY KEY (request_id, approver)
      )`,
      // Nonces of signed one-time approval links that were used (a replay finds its row).
      `CREATE TABLE approval_link_uses (
        nonce TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        used_at TIMESTAMPTZ NOT NULL
      )`,
      `CREATE TABLE webauthn_credentials (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        public_key BYTEA NOT NULL,
        counter BIGINT NOT NULL,
        transports JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        last_used_at TIMESTAMPTZ,
        mac TEXT
      )`,
      `CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id)`,
      // Short-lived single-use state: WebAuthn challenges, OIDC login state (PKCE verifier sealed by the caller).
      `CREATE TABLE auth_challenges (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT,
        data TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ
      )`,
      // A person signed in through an OIDC issuer: (issuer, subject) → user.
      `CREATE TABLE user_identities (
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TIMESTAMPTZ NOT NULL,
        last_login_at TIMESTAMPTZ,
        PRIMARY KEY (issuer, subject)
      )`,
      // Machines: a CI job's OIDC token from `issuer` whose claims match `bound_claims` acts as this identity, with its groups.
      `CREATE TABLE workload_identities (
        name TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        audience TEXT NOT NULL,
        bound_claims JSONB NOT NULL,
        groups JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        created_by TEXT NOT NULL,
        mac TEXT
      )`,
    ],
  },
  {
    version: 18,
    name: 'proxy tokens: granted endpoint groups',
    statements: [`ALTER TABLE access_tokens ADD COLUMN allowed_endpoints JSONB`],
  },
  {
    version: 19,
    name: 'passkeys: relying party, device type, backup state and clone flag of each WebAuthn credential',
    statements: [
      // Migration 13 made the table; what a passkey needs besides: the RP ID it is bound to,
      // single- or multi-device, backed up or not, and when its signature counter went backwards.
      `ALTER TABLE webauthn_credentials ADD COLUMN rp_id TEXT NOT NULL DEFAULT ''`,
      `ALTER TABLE webauthn_credentials ADD COLUMN device_type TEXT NOT NULL DEFAULT 'singleDevice'`,
      `ALTER TABLE webauthn_credentials ADD COLUMN backed_up BOOLEAN NOT NULL DEFAULT FALSE`,
      `ALTER TABLE webauthn_credentials ADD COLUMN flagged_at TIMESTAMPTZ`,
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
        allowed_domains JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
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
        groups JSONB NOT NULL,
        mac TEXT
      )`,
      // A CI job's OIDC token exchanged for a short session (no refresh); only the token's SHA-256 is stored.
      `CREATE TABLE workload_sessions (
        id TEXT PRIMARY KEY,
        identity TEXT NOT NULL,
        subject TEXT NOT NULL,
        token_hash BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        source TEXT,
        revoked_at TIMESTAMPTZ,
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
        wrapped_key BYTEA,
        master_key_id TEXT,
        next_wrapped_key BYTEA,
        next_master_key_id TEXT,
        webhook_secret BYTEA,
        settings JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        purged_at TIMESTAMPTZ
      )`,
      // End users' keys, each sealed under its tenant's data key (AAD: tenant, user, provider, id).
      `CREATE TABLE byok_keys (
        tenant TEXT NOT NULL REFERENCES byok_tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        user_ref TEXT NOT NULL,
        provider TEXT NOT NULL CHECK (provider IN ('openai', 'anthropic', 'openrouter')),
        label TEXT NOT NULL,
        ciphertext BYTEA NOT NULL,
        hint TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('valid', 'invalid', 'no-quota', 'no-model-access', 'unknown')),
        status_detail TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        validated_at TIMESTAMPTZ,
        last_used_at TIMESTAMPTZ,
        uses INTEGER NOT NULL DEFAULT 0,
        last_failure_at TIMESTAMPTZ,
        next_check_at TIMESTAMPTZ NOT NULL,
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
        last_sent_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (key_id, reason)
      )`,
      // Service tokens of SaaS applications, scoped to tenants; SHA-256 hashes only, row MAC.
      `CREATE TABLE byok_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tenants JSONB NOT NULL,
        token_hash BYTEA NOT NULL,
        expires_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TIMESTAMPTZ,
        mac TEXT
      )`,
      `CREATE UNIQUE INDEX byok_tokens_live_name ON byok_tokens (name) WHERE revoked_at IS NULL`,
    ],
  },
];
