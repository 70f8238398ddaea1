/**
 * Machine identities of the Store contract (issue 11, migration 13): a CI job whose OIDC
 * token comes from `issuer` for `audience`, with claims matching `boundClaims`, acts as the
 * named identity with its groups (role bindings to those groups give it capabilities).
 */
export interface WorkloadIdentityRecord {
  name: string;
  issuer: string;
  audience: string;
  /** Claim name → glob, e.g. `{ repository: 'acme/app', ref: 'refs/heads/main' }`; every one must match. */
  boundClaims: Record<string, string>;
  groups: string[];
  createdAt: Date;
  createdBy: string;
  mac: string | null;
}

export interface IdentityStore {
  /** Creates or replaces the identity of that name. */
  saveWorkloadIdentity(identity: WorkloadIdentityRecord): Promise<WorkloadIdentityRecord>;
  listWorkloadIdentities(filter?: { issuer?: string }): Promise<WorkloadIdentityRecord[]>;
  /** NotFoundError when absent. */
  removeWorkloadIdentity(name: string): Promise<void>;
}

/** An OIDC issuer people sign in through (migration 20); `clientSecretSealed` is sealed by the caller. */
export interface SsoProviderRecord {
  name: string;
  issuer: string;
  clientId: string;
  clientSecretSealed: string | null;
  /** The ID-token claim that lists the person's groups (e.g. `groups`). */
  groupsClaim: string;
  /** When not empty, only people with a verified email in one of these domains may sign in. */
  allowedDomains: string[];
  createdAt: Date;
  createdBy: string;
  mac: string | null;
}

/** A person known to an issuer: (issuer, subject) → user. Matching is by these two, never by email. */
export interface UserIdentityRecord {
  issuer: string;
  subject: string;
  userId: string;
  provider: string | null;
  createdAt: Date;
  lastLoginAt: Date | null;
  mac: string | null;
}

/** Short-lived single-use state (OIDC login state, one-time codes, WebAuthn challenges). */
export interface AuthChallengeRecord {
  id: string;
  kind: string;
  subject: string | null;
  /** Opaque to the store; a caller seals what must stay secret. */
  data: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

/** The groups an IdP asserted for one session (they end with it). */
export interface SessionClaimsRecord {
  sessionId: string;
  provider: string;
  groups: string[];
  mac: string | null;
}

/** A CI job's OIDC token exchanged for a short session as a workload identity. */
export interface WorkloadSessionRecord {
  id: string;
  identity: string;
  subject: string;
  createdAt: Date;
  expiresAt: Date;
  source: string | null;
  revokedAt: Date | null;
  mac: string | null;
}

/**
 * Invariants both dialects enforce: a challenge is consumed at most once, only before it
 * expires and only as the kind it was made for; (issuer, subject) links one user
 * (a second link is a ConflictError); session claims go with their session.
 */
export interface OidcStore {
  /** Creates or replaces the provider of that name. */
  saveSsoProvider(provider: SsoProviderRecord): Promise<SsoProviderRecord>;
  getSsoProvider(name: string): Promise<SsoProviderRecord | undefined>;
  listSsoProviders(): Promise<SsoProviderRecord[]>;
  /** NotFoundError when absent. */
  removeSsoProvider(name: string): Promise<void>;

  /** ConflictError when (issuer, subject) is linked already. */
  linkUserIdentity(link: Omit<UserIdentityRecord, 'lastLoginAt'>): Promise<UserIdentityRecord>;
  findUserIdentity(issuer: string, subject: string): Promise<UserIdentityRecord | undefined>;
  listUserIdentities(filter?: { userId?: string }): Promise<UserIdentityRecord[]>;
  touchUserIdentity(issuer: string, subject: string, at: Date): Promise<void>;

  createAuthChallenge(challenge: Omit<AuthChallengeRecord, 'usedAt'>): Promise<void>;
  /** Marks the challenge used and returns it, once, when it exists with that kind, unused and unexpired at `at`. */
  consumeAuthChallenge(id: string, kind: string, at: Date): Promise<AuthChallengeRecord | undefined>;
  /** Deletes challenges that expired before `before`; returns how many. */
  purgeAuthChallenges(before: Date): Promise<number>;

  setSessionClaims(claims: SessionClaimsRecord): Promise<void>;
  getSessionClaims(sessionId: string): Promise<SessionClaimsRecord | undefined>;

  createWorkloadSession(session: Omit<WorkloadSessionRecord, 'revokedAt'>, tokenHash: Buffer): Promise<WorkloadSessionRecord>;
  findWorkloadSession(id: string): Promise<{ session: WorkloadSessionRecord; tokenHash: Buffer } | undefined>;
  revokeWorkloadSession(id: string, at: Date): Promise<void>;
  /** Revokes every live session of the identity; returns how many. */
  revokeWorkloadSessions(identity: string, at: Date): Promise<number>;
}
