/**
 * Passkeys (WebAuthn, issue 11 item 4) with @simplewebauthn/server: registration and
 * authentication ceremonies whose challenges live server-side, single-use, for two
 * minutes, bound to the person and session they were issued for; the relying party id and
 * origin come from serve's public URL. A passkey counts as MFA wherever TOTP does: as the
 * second factor after a password, as a step-up proof, or alone (passwordless, with user
 * verification) for a discoverable credential.
 *
 * A passkey row grants power (it opens sessions), so it carries a row MAC like users and
 * role bindings: a row inserted or edited by SQL is refused and reported. A signature
 * counter that does not move forward flags the passkey (a cloned authenticator?) and
 * refuses it until it is removed. Every attempt is audited (`mfa-enroll`, `mfa-verify`,
 * `mfa-remove`, method `webauthn`), never with a challenge, a signature or a public key.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { ConfigError, ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import type { PasskeyRecord } from '../store/passkey-store-types.js';
import type { SessionRecord, UserRecord } from '../store/team-store-types.js';
import { hasMfa } from './mfa-service.js';
import { verifyPassword } from './password-hash.js';
import { sessionResealer } from './session-integrity.js';
import { openSession, type LoginResult, type SecondFactor, type SessionDeps } from './session-service.js';
import { freshMfa } from './step-up.js';
import type { TeamDeps } from './team-deps.js';
import { userIntact } from './user-service.js';

export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 120;

export interface WebauthnConfig {
  /** The relying party id: the public URL's host name. */
  rpId: string;
  /** The one origin assertions must come from: the public URL's origin. */
  origin: string;
  rpName: string;
}

export interface WebauthnDeps extends TeamDeps {
  webauthn: WebauthnConfig;
}

/** What a ceremony is for; a challenge is consumed only as the kind it was made for. */
export type AssertionPurpose = 'login' | 'step-up';

const KIND = { register: 'webauthn-register', login: 'webauthn-login', 'step-up': 'webauthn-step-up' } as const;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The relying party of a server reachable at `publicUrl`: https, or plain http on
 * localhost (a secure context for browsers, for tests and a laptop).
 */
export function webauthnConfigFromUrl(publicUrl: string, rpName = 'rekey'): WebauthnConfig {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new ConfigError(`the public URL "${publicUrl.slice(0, 80)}" is not a URL`, { hint: 'e.g. --public-url https://rekey.internal:8420' });
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError(`the public URL must be https for passkeys (plain http only on localhost), not ${url.protocol}//${url.hostname}`);
  }
  if (/^[0-9.]+$/.test(url.hostname) || url.hostname.startsWith('[')) {
    throw new ConfigError(`passkeys need a host name in the public URL, not the address ${url.hostname}`, { hint: 'use http://localhost:PORT on this machine, or the server\'s https name' });
  }
  return { rpId: url.hostname, origin: url.origin, rpName };
}

/** The fields of a passkey row its MAC covers: whose it is, its key, its relying party, its counter and flag. */
export function passkeyMacFields(passkey: Pick<PasskeyRecord, 'id' | 'userId' | 'publicKey' | 'rpId' | 'counter' | 'flaggedAt'>): Record<string, unknown> {
  return { id: passkey.id, userId: passkey.userId, publicKey: passkey.publicKey.toString('base64url'), rpId: passkey.rpId, counter: passkey.counter, flagged: passkey.flaggedAt !== null };
}

export function passkeyIntact(deps: Pick<TeamDeps, 'integrity'>, passkey: PasskeyRecord): boolean {
  return deps.integrity === undefined || deps.integrity.check('webauthn_credentials', passkeyMacFields(passkey), passkey.mac);
}

function macOf(deps: Pick<TeamDeps, 'integrity'>, passkey: PasskeyRecord): string | null {
  return deps.integrity === undefined ? null : deps.integrity.tag('webauthn_credentials', passkeyMacFields(passkey));
}

/** The store's handle of a challenge: its hash (the challenge itself is stored nowhere). */
function challengeHandle(challenge: string): string {
  return createHash('sha256').update(challenge, 'utf8').digest('hex');
}

/** The challenge a browser signed, read from the response's client data (undefined when unreadable). */
function signedChallenge(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 8192) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof parsed.challenge === 'string' && parsed.challenge.length <= 512 ? parsed.challenge : undefined;
  } catch {
    return undefined;
  }
}

interface ChallengeData {
  sessionId: string | null;
}

async function issueChallenge(deps: WebauthnDeps, kind: string, subject: string | null, data: ChallengeData): Promise<Uint8Array<ArrayBuffer>> {
  const now = deps.clock.now();
  // The library puts bytes on the wire as base64url (a string would be taken as UTF-8 text).
  const challenge = new Uint8Array(randomBytes(32));
  await deps.store.createWebauthnChallenge({ id: challengeHandle(Buffer.from(challenge).toString('base64url')), kind, subject, data: JSON.stringify(data), createdAt: now, expiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000) });
  // Expired challenges of anyone are dropped now and then, so the table stays small.
  await deps.store.purgeWebauthnChallenges(new Date(now.getTime() - WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000));
  return challenge;
}

/** Consumes the challenge the response signed: once, unexpired, of this kind, for this subject and session. */
async function spendChallenge(deps: WebauthnDeps, kind: string, clientDataJSON: unknown, expected: { subject?: string; sessionId?: string }): Promise<string | undefined> {
  const challenge = signedChallenge(clientDataJSON);
  if (challenge === undefined) return undefined;
  const row = await deps.store.consumeWebauthnChallenge(challengeHandle(challenge), kind, deps.clock.now());
  if (row === undefined) return undefined;
  if (expected.subject !== undefined && row.subject !== expected.subject) return undefined;
  const data = JSON.parse(row.data) as ChallengeData;
  if (expected.sessionId !== undefined && data.sessionId !== expected.sessionId) return undefined;
  return challenge;
}

async function audit(deps: TeamDeps, event: 'mfa-enroll' | 'mfa-verify' | 'mfa-remove', outcome: 'ok' | 'error', detail: Record<string, unknown>): Promise<void> {
  await deps.audit.record({ event, actor: deps.actor, credential: null, fingerprint: null, outcome, detail: { method: 'webauthn', ...detail } });
}

/** Whether the person holds any passkey. */
export async function hasPasskeys(deps: Pick<TeamDeps, 'store'>, user: Pick<UserRecord, 'id'>): Promise<boolean> {
  return (await deps.store.listPasskeys(user.id)).length > 0;
}

export interface RegistrationStart {
  user: UserRecord;
  session: Pick<SessionRecord, 'id' | 'mfaAt' | 'mfaMethod'>;
  /** Asked for when the person has no MFA yet (a stolen session alone cannot plant a passkey). */
  password?: string | undefined;
}

/**
 * Registration options for `navigator.credentials.create`. Adding a factor needs a fresh
 * MFA proof on the session when the person already has one (TOTP or a passkey), else their
 * password again.
 */
export async function startPasskeyRegistration(deps: WebauthnDeps, request: RegistrationStart): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { user, session } = request;
  const existing = await deps.store.listPasskeys(user.id);
  const enrolled = hasMfa(user) || existing.length > 0;
  if (enrolled) {
    if (freshMfa(session, deps.clock.now()) === null) {
      await audit(deps, 'mfa-enroll', 'error', { user: user.name, reason: 'no fresh MFA proof on the session' });
      throw new UsageError('adding a passkey needs a fresh MFA proof on this session', { hint: 'step up first (POST /v1/auth/step-up with a TOTP code or a passkey)' });
    }
  } else if (request.password === undefined || !(await verifyPassword(request.password, user.passwordHash))) {
    await audit(deps, 'mfa-enroll', 'error', { user: user.name, reason: request.password === undefined ? 'password re-check missing' : 'wrong password' });
    throw new UsageError('adding a first passkey needs your password again', { hint: 'send { "password": "…" } with the request' });
  }
  const challenge = await issueChallenge(deps, KIND.register, user.id, { sessionId: session.id });
  return generateRegistrationOptions({
    rpName: deps.webauthn.rpName,
    rpID: deps.webauthn.rpId,
    userName: user.name,
    userDisplayName: user.displayName ?? user.name,
    userID: new Uint8Array(Buffer.from(user.id, 'utf8')),
    challenge,
    timeout: WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
}

export interface RegistrationFinish {
  user: UserRecord;
  session: Pick<SessionRecord, 'id'>;
  response: RegistrationResponseJSON;
  name?: string | undefined;
}

/** Checks the authenticator's answer to the options of this session and stores the passkey (sealed by its MAC). */
export async function finishPasskeyRegistration(deps: WebauthnDeps, request: RegistrationFinish): Promise<PasskeyRecord> {
  const { user } = request;
  const refuse = async (reason: string, message: string): Promise<never> => {
    await audit(deps, 'mfa-enroll', 'error', { user: user.name, reason });
    throw new UsageError(message, { hint: 'ask for new registration options and try again' });
  };
  const challenge = await spendChallenge(deps, KIND.register, request.response.response?.clientDataJSON, { subject: user.id, sessionId: request.session.id });
  if (challenge === undefined) return refuse('unknown, used, expired or foreign challenge', 'that registration answers no open challenge of this session (used, expired or never issued)');
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({ response: request.response, expectedChallenge: challenge, expectedOrigin: deps.webauthn.origin, expectedRPID: deps.webauthn.rpId, requireUserVerification: false });
  } catch (error) {
    return refuse(`verification failed: ${reasonOf(error)}`, `the passkey registration was not accepted: ${reasonOf(error)}`);
  }
  if (!verified.verified) return refuse('verification failed', 'the passkey registration was not accepted');
  const info = verified.registrationInfo;
  if ((await deps.store.getPasskey(info.credential.id)) !== undefined) {
    await audit(deps, 'mfa-enroll', 'error', { user: user.name, reason: 'passkey already registered' });
    throw new ConflictError('that passkey is already registered');
  }
  const draft: PasskeyRecord = {
    id: info.credential.id,
    userId: user.id,
    name: (request.name ?? '').trim().slice(0, 64) || `passkey ${new Date(deps.clock.now()).toISOString().slice(0, 10)}`,
    publicKey: Buffer.from(info.credential.publicKey),
    counter: info.credential.counter,
    transports: info.credential.transports ?? [],
    rpId: deps.webauthn.rpId,
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    createdAt: deps.clock.now(),
    lastUsedAt: null,
    flaggedAt: null,
    flagReason: null,
    mac: null,
  };
  const passkey = await deps.store.addPasskey({ ...draft, mac: macOf(deps, draft) });
  await audit(deps, 'mfa-enroll', 'ok', { user: user.name, passkeyId: passkey.id, name: passkey.name, deviceType: passkey.deviceType, backedUp: passkey.backedUp });
  return passkey;
}

/**
 * Options for `navigator.credentials.get`. At sign-in nobody is known yet, so the options
 * list no credentials (a discoverable passkey answers; nothing tells whether an account
 * exists); a step-up lists the person's own.
 */
export async function startPasskeyAssertion(
  deps: WebauthnDeps,
  request: { purpose: 'login' } | { purpose: 'step-up'; user: UserRecord; session: Pick<SessionRecord, 'id'> },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  if (request.purpose === 'login') {
    const challenge = await issueChallenge(deps, KIND.login, null, { sessionId: null });
    return generateAuthenticationOptions({ rpID: deps.webauthn.rpId, challenge, timeout: WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000, userVerification: 'preferred' });
  }
  const passkeys = await deps.store.listPasskeys(request.user.id);
  if (passkeys.length === 0) throw new UsageError(`user ${request.user.name} has no passkey`, { hint: 'register one in the browser first' });
  const challenge = await issueChallenge(deps, KIND['step-up'], request.user.id, { sessionId: request.session.id });
  return generateAuthenticationOptions({
    rpID: deps.webauthn.rpId,
    challenge,
    timeout: WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
    userVerification: 'preferred',
    allowCredentials: passkeys.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
  });
}

export interface AssertionCheck {
  purpose: AssertionPurpose;
  response: AuthenticationResponseJSON;
  /** The person it must belong to (second factor, step-up); absent for a passwordless sign-in. */
  user?: UserRecord | undefined;
  /** The session a step-up challenge was issued to. */
  session?: Pick<SessionRecord, 'id'> | undefined;
  /** Passwordless sign-in needs the authenticator to have verified the person (PIN, biometrics). */
  requireUserVerification?: boolean | undefined;
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : 'unreadable response';
  // The library's messages name what failed (origin, RP ID, signature, counter); keep them short.
  return text.replace(/[\r\n]+/g, ' ').slice(0, 160);
}

/**
 * Verifies an assertion and moves the passkey's counter forward. Returns the person and
 * the passkey; throws a UsageError (audited as denied) for anything else: a challenge that
 * is unknown, used, expired or issued to another session, another person's passkey, a row
 * that fails its MAC, a flagged passkey, a wrong origin or RP ID, a bad signature, or a
 * counter that did not move forward (which flags the passkey).
 */
export async function verifyPasskeyAssertion(deps: WebauthnDeps, check: AssertionCheck): Promise<{ user: UserRecord; passkey: PasskeyRecord }> {
  const who = check.user?.name ?? 'unknown';
  const credentialId = typeof check.response.id === 'string' ? check.response.id.slice(0, 200) : '';
  const refuse = async (reason: string, message: string, user = who): Promise<never> => {
    await audit(deps, 'mfa-verify', 'error', { user, purpose: check.purpose, passkeyId: credentialId, reason });
    throw new UsageError(message, { hint: 'ask for new options and try again' });
  };
  const kind = KIND[check.purpose];
  const challenge = await spendChallenge(deps, kind, check.response.response?.clientDataJSON, check.purpose === 'step-up' ? { subject: check.user?.id ?? '', sessionId: check.session?.id ?? '' } : {});
  if (challenge === undefined) return refuse('unknown, used, expired or foreign challenge', 'that passkey answer is for no open challenge (used, expired or issued elsewhere)');
  const passkey = await deps.store.getPasskey(credentialId);
  if (passkey === undefined) return refuse('unknown passkey', 'that passkey is not registered here');
  if (check.user !== undefined && passkey.userId !== check.user.id) return refuse("another person's passkey", 'that passkey belongs to someone else');
  if (!passkeyIntact(deps, passkey)) return refuse('passkey row fails its integrity check', 'that passkey fails its integrity check and is refused (rekey doctor lists it)');
  if (passkey.flaggedAt !== null) return refuse(`passkey flagged: ${passkey.flagReason ?? 'flagged'}`, 'that passkey was flagged (its signature counter went backwards) and is refused until it is removed');
  const user = check.user ?? (await deps.store.getUserById(passkey.userId));
  if (user === undefined || user.status !== 'active' || !userIntact(deps, user)) return refuse('account disabled or unknown', 'the account of that passkey cannot sign in');
  const userHandle = check.response.response.userHandle;
  if (userHandle !== undefined && userHandle !== '' && userHandle !== Buffer.from(passkey.userId, 'utf8').toString('base64url')) {
    return refuse('user handle does not match the passkey', 'that passkey answer names another account', user.name);
  }
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response: check.response,
      expectedChallenge: challenge,
      expectedOrigin: deps.webauthn.origin,
      expectedRPID: deps.webauthn.rpId,
      credential: { id: passkey.id, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: check.requireUserVerification === true,
    });
  } catch (error) {
    const reason = reasonOf(error);
    if (/counter/i.test(reason)) {
      const flagged = { ...passkey, flaggedAt: deps.clock.now(), flagReason: 'signature counter went backwards (a cloned authenticator?)' };
      await deps.store.updatePasskey(passkey.id, { flaggedAt: flagged.flaggedAt, flagReason: flagged.flagReason, mac: macOf(deps, flagged) });
      return refuse('signature counter went backwards; passkey flagged', 'that passkey\'s signature counter went backwards (a cloned authenticator?): it is flagged and refused until it is removed', user.name);
    }
    return refuse(`verification failed: ${reason}`, `the passkey answer was not accepted: ${reason}`, user.name);
  }
  if (!verified.verified) return refuse('signature does not verify', 'the passkey answer was not accepted', user.name);
  const info = verified.authenticationInfo;
  const next = { ...passkey, counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: deps.clock.now() };
  const updated = await deps.store.updatePasskey(passkey.id, { counter: next.counter, backedUp: next.backedUp, lastUsedAt: next.lastUsedAt, mac: macOf(deps, next) });
  await audit(deps, 'mfa-verify', 'ok', { user: user.name, purpose: check.purpose, passkeyId: passkey.id, userVerified: info.userVerified });
  return { user, passkey: updated };
}

/** A passkey step-up: verifies the assertion against this session's challenge and records the proof on the session. */
export async function stepUpWithPasskey(deps: WebauthnDeps, session: Pick<SessionRecord, 'id'>, user: UserRecord, response: AuthenticationResponseJSON): Promise<{ method: 'webauthn'; at: Date }> {
  await verifyPasskeyAssertion(deps, { purpose: 'step-up', response, user, session });
  const at = deps.clock.now();
  await deps.store.recordSessionMfa(session.id, at, 'webauthn', sessionResealer(deps.integrity));
  return { method: 'webauthn', at };
}

export async function listPasskeys(deps: Pick<TeamDeps, 'store'>, user: Pick<UserRecord, 'id'>): Promise<PasskeyRecord[]> {
  return deps.store.listPasskeys(user.id);
}

/** Removes one of the person's own passkeys (NotFoundError for anyone else's: no probing). */
export async function removePasskey(deps: TeamDeps, user: Pick<UserRecord, 'id' | 'name'>, id: string): Promise<PasskeyRecord> {
  const passkey = await deps.store.getPasskey(id);
  if (passkey === undefined || passkey.userId !== user.id) {
    await audit(deps, 'mfa-remove', 'error', { user: user.name, passkeyId: id.slice(0, 200), reason: 'no such passkey of this person' });
    throw new NotFoundError(`${user.name} has no passkey ${id.slice(0, 200)}`, { hint: 'rekey mfa passkeys list' });
  }
  await deps.store.removePasskey(id);
  await audit(deps, 'mfa-remove', 'ok', { user: user.name, passkeyId: id, name: passkey.name });
  return passkey;
}

/**
 * The passkey as the second factor at sign-in (the `SecondFactor` seam of
 * `session-service.ts`), next to TOTP: asked of everyone with TOTP or a passkey; the proof
 * is `{ webauthn: <assertion> }` for options from the login challenge, or what `totp` takes.
 */
export function createMfaSecondFactor(deps: WebauthnDeps | (Omit<WebauthnDeps, 'webauthn'> & { webauthn?: undefined }), totp: SecondFactor): SecondFactor {
  return {
    async required(user) {
      return (await totp.required(user)) || (await hasPasskeys(deps, user));
    },
    async verify(user, proof) {
      if (proof.webauthn === undefined) return totp.verify(user, proof);
      if (deps.webauthn === undefined || typeof proof.webauthn !== 'object' || proof.webauthn === null) return undefined;
      try {
        await verifyPasskeyAssertion({ ...deps, webauthn: deps.webauthn, actor: `user:${user.name}` }, { purpose: 'login', response: proof.webauthn as AuthenticationResponseJSON, user });
        return 'webauthn';
      } catch (error) {
        if (error instanceof UsageError) return undefined;
        throw error;
      }
    },
  };
}

/** Passwordless sign-in with a discoverable passkey that verified the person: a new session with MFA `webauthn`. */
export async function passkeyLogin(deps: WebauthnDeps & SessionDeps, response: AuthenticationResponseJSON, source: string): Promise<Extract<LoginResult, { ok: true }>> {
  const { user } = await verifyPasskeyAssertion({ ...deps, actor: 'login:passkey' }, { purpose: 'login', response, requireUserVerification: true });
  const { token, session } = await openSession(deps, user, { mfaMethod: 'webauthn', source });
  await deps.audit.record({
    event: 'session-login', actor: `user:${user.name}`, credential: null, fingerprint: null, outcome: 'ok',
    detail: { session: session.id, source, mfa: 'webauthn', passwordless: true, expiresAt: session.expiresAt.toISOString(), idleSeconds: session.idleSeconds },
  });
  return { ok: true, token, session, user };
}
