/**
 * Server-side sessions for people (team mode, issue 11): a login with a password (and a
 * second factor when the person has one, through the `secondFactor` hook) opens a session
 * with an idle and an absolute lifetime; every request re-reads it, so a logout, a
 * revocation, a disabled account or a password reset takes effect at the next request.
 *
 * A session token reads `rk_ses_<id>_<secret>`: the id finds the row, only SHA-256 of the
 * whole token is stored and compared in constant time (an unknown id costs the same).
 *
 * On a sealed install a session row carries a MAC (`sessionMacFields`: its person, token
 * hash, lifetimes, last activity, MFA proof and revocation) computed here whenever the row
 * is written and checked on every request, so a session inserted or edited by SQL (a later
 * expiry, another person, an MFA proof nobody gave, a revocation undone) is refused.
 * Every session is opened through `openSession`, whatever signed the person in.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionRecord, UserRecord } from '../store/team-store-types.js';
import { verifyPassword } from './password-hash.js';
import { sessionIntact, sessionResealer } from './session-integrity.js';
import type { TeamDeps } from './team-deps.js';
import { userIntact } from './user-service.js';

export interface SessionLifetimes {
  /** The session ends after this long without a request. */
  idleSeconds: number;
  /** The session ends this long after login, whatever the activity. */
  absoluteSeconds: number;
}

export const DEFAULT_SESSION_LIFETIMES: SessionLifetimes = { idleSeconds: 2 * 60 * 60, absoluteSeconds: 12 * 60 * 60 };

/**
 * The MFA seam (TOTP, WebAuthn; issue 11 item 4): whether this person must present a
 * second factor at login, and checking the one presented. Absent: nobody is asked, and
 * a person who has enrolled a factor cannot log in (fail closed).
 */
export interface SecondFactor {
  required(user: UserRecord): boolean | Promise<boolean>;
  /** The method used (`totp`, `recovery-code`, `webauthn`…) when `proof` is good, else undefined. */
  verify(user: UserRecord, proof: Record<string, unknown>): Promise<string | undefined>;
}

export interface LoginRequest {
  user: string;
  password: string;
  /** The second factor, shaped as the `SecondFactor` in use expects. */
  mfa?: Record<string, unknown> | undefined;
  /** Where the request came from (an address), for the session row and the audit log. */
  source: string;
}

export type LoginResult =
  | { ok: true; token: string; session: SessionRecord; user: UserRecord }
  | { ok: false; reason: 'bad-credentials' | 'mfa-required' | 'mfa-failed'; message: string };

export type SessionDeps = Pick<TeamDeps, 'store' | 'audit' | 'clock' | 'integrity'> & {
  lifetimes?: SessionLifetimes | undefined;
  secondFactor?: SecondFactor | undefined;
};

const TOKEN_PATTERN = /^rk_ses_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export function looksLikeSessionToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const DUMMY_HASH = hashSessionToken(`rk_ses_${'0'.repeat(16)}_${'A'.repeat(43)}`);

function newSessionId(): string {
  return randomBytes(12).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 16);
}

/** Password (and second factor) → a new session. Every attempt, failed ones included, is audited. */
export async function login(deps: SessionDeps, request: LoginRequest): Promise<LoginResult> {
  const found = await deps.store.getUser(request.user);
  // Verify even for an unknown or disabled user, so that timing does not tell which.
  const passwordOk = await verifyPassword(request.password, found?.passwordHash ?? null);
  const refuse = async (reason: Exclude<LoginResult, { ok: true }>['reason'], message: string, why: string): Promise<LoginResult> => {
    await deps.audit.record({ event: 'session-login', actor: `user:${request.user.slice(0, 64)}`, credential: null, fingerprint: null, outcome: 'error', detail: { reason: why, source: request.source } });
    return { ok: false, reason, message };
  };
  const badCredentials = 'the user name or password is wrong, or the account is disabled';
  if (found === undefined) return refuse('bad-credentials', badCredentials, 'unknown user');
  if (!passwordOk) return refuse('bad-credentials', badCredentials, 'wrong password');
  if (found.status !== 'active') return refuse('bad-credentials', badCredentials, 'user disabled');
  if (!userIntact(deps, found)) return refuse('bad-credentials', badCredentials, 'user row fails its integrity check');
  const enrolled = found.totpSealed !== null && found.totpConfirmed;
  let mfaMethod: string | null = null;
  if (enrolled || (await deps.secondFactor?.required(found)) === true) {
    if (deps.secondFactor === undefined) return refuse('mfa-failed', 'this account has MFA enrolled and the server cannot check it', 'no second-factor verifier');
    if (request.mfa === undefined) return refuse('mfa-required', 'a second factor is required for this account (mfa)', 'second factor missing');
    const method = await deps.secondFactor.verify(found, request.mfa);
    if (method === undefined) return refuse('mfa-failed', 'the second factor was not accepted', 'second factor refused');
    mfaMethod = method;
  }
  const { token, session } = await openSession(deps, found, { mfaMethod, source: request.source });
  await deps.audit.record({
    event: 'session-login', actor: `user:${found.name}`, credential: null, fingerprint: null, outcome: 'ok',
    detail: { session: session.id, source: request.source, mfa: mfaMethod, expiresAt: session.expiresAt.toISOString(), idleSeconds: session.idleSeconds },
  });
  return { ok: true, token, session, user: found };
}

/**
 * A new session for a person who has just proved who they are (a password and second
 * factor, or an SSO login): its row sealed on a sealed install, and its token (shown once).
 */
export async function openSession(
  deps: Pick<SessionDeps, 'store' | 'clock' | 'integrity' | 'lifetimes'>,
  user: Pick<UserRecord, 'id'>,
  proof: { mfaMethod: string | null; source: string },
): Promise<{ token: string; session: SessionRecord }> {
  const now = deps.clock.now();
  const lifetimes = deps.lifetimes ?? DEFAULT_SESSION_LIFETIMES;
  const id = newSessionId();
  const token = `rk_ses_${id}_${randomBytes(32).toString('base64url')}`;
  const tokenHash = hashSessionToken(token);
  const draft = {
    id: `ses_${id}`,
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + lifetimes.absoluteSeconds * 1000),
    idleSeconds: lifetimes.idleSeconds,
    mfaAt: proof.mfaMethod === null ? null : now,
    mfaMethod: proof.mfaMethod,
    source: proof.source.slice(0, 100),
  };
  const mac = sessionResealer(deps.integrity)?.({ ...draft, revokedAt: null, mac: null }, tokenHash) ?? null;
  const session = await deps.store.createSession({ ...draft, mac }, tokenHash);
  return { token, session };
}

export type SessionCheck =
  | { ok: true; session: SessionRecord; user: UserRecord }
  | { ok: false; reason: string; tampered?: { table: 'sessions'; row: string } | undefined };

/**
 * The live session `presented` is, re-read from the store on every call: revoked, idle
 * too long, past its absolute end, its person disabled or their row tampered → refused.
 * A live session's last-seen time moves forward.
 */
export async function checkSession(deps: Pick<SessionDeps, 'store' | 'clock' | 'integrity'>, presented: string): Promise<SessionCheck> {
  const match = TOKEN_PATTERN.exec(presented);
  if (match === null) return { ok: false, reason: 'not a session token' };
  const found = await deps.store.findSession(`ses_${match[1] ?? ''}`);
  const actual = hashSessionToken(presented);
  const expected = found?.tokenHash ?? DUMMY_HASH;
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!equal || found === undefined) return { ok: false, reason: 'unknown session' };
  const { session } = found;
  if (!sessionIntact(deps.integrity, session, found.tokenHash)) {
    return { ok: false, reason: 'the session record fails its integrity check (written outside rekey)', tampered: { table: 'sessions', row: session.id } };
  }
  const now = deps.clock.now();
  if (session.revokedAt !== null) return { ok: false, reason: 'the session was ended' };
  if (now.getTime() >= session.expiresAt.getTime()) return { ok: false, reason: 'the session expired' };
  if (now.getTime() - session.lastSeenAt.getTime() >= session.idleSeconds * 1000) return { ok: false, reason: 'the session expired (idle)' };
  const user = await deps.store.getUserById(session.userId);
  if (user === undefined || user.status !== 'active') return { ok: false, reason: 'the account is disabled' };
  if (!userIntact(deps, user)) return { ok: false, reason: "the account's record fails its integrity check" };
  await deps.store.touchSession(session.id, now, sessionResealer(deps.integrity));
  return { ok: true, session: { ...session, lastSeenAt: now }, user };
}

/** Ends one session (logout); audited. */
export async function logout(deps: Pick<SessionDeps, 'store' | 'audit' | 'clock' | 'integrity'>, session: SessionRecord, user: UserRecord, source: string): Promise<void> {
  await deps.store.revokeSession(session.id, deps.clock.now(), sessionResealer(deps.integrity));
  await deps.audit.record({ event: 'session-logout', actor: `user:${user.name}`, credential: null, fingerprint: null, outcome: 'ok', detail: { session: session.id, source } });
}
