/**
 * The team part of the Store contract (issue 11, migration 9): people, roles, role bindings,
 * recovery codes and server-side sessions. The store keeps rows; `src/team` owns what they
 * mean (authorization, password hashes, TOTP). Only hashes of session tokens and recovery
 * codes are stored; the TOTP secret is stored sealed by the caller.
 *
 * Invariants both dialects enforce:
 * - user names are unique; a role binding refers to an existing role (removing a role
 *   that is still bound is a ConflictError);
 * - built-in roles exist from the migration on and cannot be removed or have their
 *   capabilities changed (only `requireMfa`);
 * - a TOTP time step is accepted at most once per user (`advanceTotpStep` is
 *   compare-and-set), and a recovery code is consumed at most once;
 * - `mac` columns hold whatever integrity tag the caller computed (row MACs, issue 11).
 */
import type { Role, RoleBinding } from '../core/team-types.js';

export type UserStatus = 'active' | 'disabled';

export interface UserRecord {
  id: string;
  name: string;
  displayName: string | null;
  passwordHash: string | null;
  groups: string[];
  status: UserStatus;
  /** The TOTP secret, sealed by the caller (base64 text), or null when no MFA is enrolled. */
  totpSealed: string | null;
  /** Whether enrolment was confirmed with a first code. */
  totpConfirmed: boolean;
  /** The last accepted TOTP time step (replay protection). */
  totpLastStep: number | null;
  createdAt: Date;
  createdBy: string;
  disabledAt: Date | null;
  mac: string | null;
}

export type NewUser = Omit<UserRecord, 'totpSealed' | 'totpConfirmed' | 'totpLastStep' | 'disabledAt' | 'status'>;

export type UserPatch = Partial<Pick<UserRecord, 'displayName' | 'passwordHash' | 'groups' | 'status' | 'disabledAt' | 'totpSealed' | 'totpConfirmed' | 'mac'>>;

export interface RoleRecord extends Role {
  createdAt: Date;
  mac: string | null;
}

export interface RoleBindingRecord extends RoleBinding {
  createdAt: Date;
  createdBy: string;
  mac: string | null;
}

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  /** Absolute end, whatever the activity. */
  expiresAt: Date;
  /** The session ends after this long without a request. */
  idleSeconds: number;
  /** When MFA was last passed in this session (login or step-up), and how. */
  mfaAt: Date | null;
  mfaMethod: string | null;
  source: string | null;
  revokedAt: Date | null;
  /** The row MAC over the fields that grant power (src/team/session-service.ts), null on an unsealed install. */
  mac: string | null;
}

/** The new MAC of a session row as it will be (`tokenHash`: the stored SHA-256 of its token). */
export type SessionResealer = (session: SessionRecord, tokenHash: Buffer) => string | null;

export interface TeamStore {
  /** ConflictError when the name is taken. */
  createUser(user: NewUser): Promise<UserRecord>;
  getUser(name: string): Promise<UserRecord | undefined>;
  getUserById(id: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  updateUser(id: string, patch: UserPatch): Promise<UserRecord>;
  /** Accepts TOTP time step `step` only when it is later than the last accepted one. */
  advanceTotpStep(userId: string, step: number): Promise<boolean>;
  /** Replaces the user's recovery codes (hashes). */
  setRecoveryCodes(userId: string, hashes: string[], at: Date): Promise<void>;
  /** Marks the code with this hash used; false when there is none unused. */
  consumeRecoveryCode(userId: string, hash: string, at: Date): Promise<boolean>;
  countRecoveryCodes(userId: string): Promise<number>;

  listRoles(): Promise<RoleRecord[]>;
  getRole(name: string): Promise<RoleRecord | undefined>;
  /** Creates or replaces a custom role; for a built-in role only `requireMfa` (and `mac`) change. */
  saveRole(role: Omit<RoleRecord, 'createdAt' | 'builtin'>, at: Date): Promise<RoleRecord>;
  /** NotFoundError when absent, ConflictError for a built-in role or one still bound. */
  removeRole(name: string): Promise<void>;

  createRoleBinding(binding: Omit<RoleBindingRecord, 'createdAt'> & { createdAt: Date }): Promise<RoleBindingRecord>;
  listRoleBindings(filter?: { subjectKind?: RoleBinding['subjectKind']; subject?: string; role?: string }): Promise<RoleBindingRecord[]>;
  removeRoleBinding(id: string): Promise<void>;

  createSession(session: Omit<SessionRecord, 'revokedAt'>, tokenHash: Buffer): Promise<SessionRecord>;
  findSession(id: string): Promise<{ session: SessionRecord; tokenHash: Buffer } | undefined>;
  /**
   * The changes below take `reseal`: called inside the transaction with the row as it will
   * be, it gives the row's new MAC (absent: the MAC is left as it is).
   */
  /** Moves lastSeenAt forward (never back). */
  touchSession(id: string, at: Date, reseal?: SessionResealer): Promise<void>;
  recordSessionMfa(id: string, at: Date, method: string, reseal?: SessionResealer): Promise<void>;
  revokeSession(id: string, at: Date, reseal?: SessionResealer): Promise<void>;
  /** Revokes every live session of the user; returns how many. */
  revokeUserSessions(userId: string, at: Date, reseal?: SessionResealer): Promise<number>;
  listSessions(filter?: { userId?: string; live?: boolean }): Promise<SessionRecord[]>;
}
