/**
 * TOTP enrolment and verification with one-time recovery codes. The TOTP secret is sealed
 * under the master key (envelope, AAD bound to the user id), so a database reader cannot
 * mint codes; recovery codes are kept as hashes only. A TOTP time step is accepted once
 * per user (compare-and-set in the store) and a recovery code once, so a code seen over a
 * shoulder or in a log cannot be played again. Every attempt is audited, failed ones too,
 * never with a code or the secret.
 */
import { ConflictError, UsageError } from '../core/errors.js';
import type { Envelope } from '../crypto/envelope.js';
import { openText, sealText, totpSealContext } from '../crypto/sealed-text.js';
import type { UserRecord } from '../store/team-store-types.js';
import type { SecondFactor } from './session-service.js';
import type { TeamDeps } from './team-deps.js';
import { looksLikeTotpCode, matchTotp, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, recoveryCodeHash, totpUri } from './totp.js';
import { requireUser, retagUser } from './user-service.js';

export interface MfaDeps extends TeamDeps {
  envelope: Envelope;
}

export type MfaMethod = 'totp' | 'recovery-code' | 'webauthn';

export function sealTotpSecret(envelope: Envelope, userId: string, secret: string): string {
  return sealText(envelope, secret, totpSealContext(userId));
}

export function openTotpSecret(envelope: Envelope, userId: string, text: string): string {
  return openText(envelope, text, totpSealContext(userId), `the TOTP secret of user ${userId}`);
}

export function hasMfa(user: Pick<UserRecord, 'totpSealed' | 'totpConfirmed'>): boolean {
  return user.totpSealed !== null && user.totpConfirmed;
}

export interface TotpEnrolment {
  user: UserRecord;
  /** Base32; for the person's authenticator app only. */
  secret: string;
  uri: string;
}

/**
 * Starts TOTP enrolment: a new secret, sealed, not yet confirmed. A confirmed enrolment is
 * not replaced (that would let a stolen session swap the second factor): reset it first.
 */
export async function enrollTotp(deps: MfaDeps, name: string): Promise<TotpEnrolment> {
  const user = await requireUser(deps, name);
  if (hasMfa(user)) {
    throw new ConflictError(`user ${name} already has TOTP enrolled`, { hint: `an admin withdraws it with rekey user reset-mfa ${name}` });
  }
  const secret = newTotpSecret();
  const updated = await retagUser(deps, await deps.store.updateUser(user.id, { totpSealed: sealTotpSecret(deps.envelope, user.id, secret), totpConfirmed: false }));
  await deps.audit.record({ event: 'mfa-enroll', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, method: 'totp', confirmed: false } });
  return { user: updated, secret, uri: totpUri(secret, name) };
}

async function audited(deps: MfaDeps, user: UserRecord, outcome: 'ok' | 'error', detail: Record<string, unknown>): Promise<void> {
  await deps.audit.record({ event: 'mfa-verify', actor: deps.actor, credential: null, fingerprint: null, outcome, detail: { user: user.name, ...detail } });
}

/** Checks a TOTP code against the sealed secret and spends its time step; false when wrong or already used. */
async function spendTotp(deps: MfaDeps, user: UserRecord, code: string): Promise<boolean> {
  if (user.totpSealed === null) return false;
  const secret = openTotpSecret(deps.envelope, user.id, user.totpSealed);
  const step = matchTotp(secret, code, deps.clock.now(), user.totpLastStep);
  return step !== null && (await deps.store.advanceTotpStep(user.id, step));
}

/**
 * Confirms enrolment with a first code from the app and issues the recovery codes (shown
 * once, stored hashed).
 */
export async function confirmTotp(deps: MfaDeps, name: string, code: string): Promise<{ user: UserRecord; recoveryCodes: string[] }> {
  const user = await requireUser(deps, name);
  if (user.totpSealed === null) throw new UsageError(`user ${name} has no TOTP enrolment to confirm`, { hint: `rekey mfa enroll ${name}` });
  if (user.totpConfirmed) throw new ConflictError(`user ${name} has already confirmed TOTP`);
  if (!(await spendTotp(deps, user, code.trim()))) {
    await audited(deps, user, 'error', { method: 'totp', purpose: 'enrol', reason: 'wrong or used code' });
    throw new UsageError('that code is wrong, expired or already used', { hint: 'type the code your authenticator app shows now' });
  }
  const updated = await retagUser(deps, await deps.store.updateUser(user.id, { totpConfirmed: true }));
  const recoveryCodes = await replaceRecoveryCodes(deps, updated);
  await deps.audit.record({ event: 'mfa-enroll', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, method: 'totp', confirmed: true, recoveryCodes: recoveryCodes.length } });
  return { user: updated, recoveryCodes };
}

async function replaceRecoveryCodes(deps: MfaDeps, user: UserRecord): Promise<string[]> {
  const codes = newRecoveryCodes();
  await deps.store.setRecoveryCodes(user.id, codes.map((code) => recoveryCodeHash(user.id, code)), deps.clock.now());
  return codes;
}

/**
 * Verifies a second factor: a six-digit TOTP code, or one of the recovery codes (spent).
 * Returns the method used; throws a UsageError (audited as denied) otherwise.
 */
export async function verifyMfa(deps: MfaDeps, name: string, code: string, purpose = 'verify'): Promise<MfaMethod> {
  const user = await requireUser(deps, name);
  if (!hasMfa(user)) {
    await audited(deps, user, 'error', { purpose, reason: 'no MFA enrolled' });
    throw new UsageError(`user ${name} has no MFA enrolled`, { hint: `rekey mfa enroll ${name}` });
  }
  const text = code.trim();
  if (looksLikeTotpCode(text)) {
    if (await spendTotp(deps, user, text)) {
      await audited(deps, user, 'ok', { method: 'totp', purpose });
      return 'totp';
    }
    await audited(deps, user, 'error', { method: 'totp', purpose, reason: 'wrong or used code' });
    throw new UsageError('that code is wrong, expired or already used', { hint: 'wait for the next code, or use a recovery code' });
  }
  if (normaliseRecoveryCode(text) !== null && (await deps.store.consumeRecoveryCode(user.id, recoveryCodeHash(user.id, text), deps.clock.now()))) {
    const left = await deps.store.countRecoveryCodes(user.id);
    await audited(deps, user, 'ok', { method: 'recovery-code', purpose, recoveryCodesLeft: left });
    return 'recovery-code';
  }
  await audited(deps, user, 'error', { method: 'recovery-code', purpose, reason: 'unknown or used recovery code' });
  throw new UsageError('that is neither a current TOTP code nor an unused recovery code');
}

/** New recovery codes (the old ones stop working), after a current second factor. */
export async function regenerateRecoveryCodes(deps: MfaDeps, name: string, code: string): Promise<string[]> {
  await verifyMfa(deps, name, code, 'recovery-codes');
  const user = await requireUser(deps, name);
  const codes = await replaceRecoveryCodes(deps, user);
  await deps.audit.record({ event: 'mfa-recovery-codes', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, count: codes.length } });
  return codes;
}

export async function mfaStatus(deps: Pick<MfaDeps, 'store'>, name: string): Promise<{ user: string; totp: 'none' | 'pending' | 'confirmed'; recoveryCodesLeft: number }> {
  const user = await requireUser(deps, name);
  const totp = user.totpSealed === null ? 'none' : user.totpConfirmed ? 'confirmed' : 'pending';
  return { user: name, totp, recoveryCodesLeft: await deps.store.countRecoveryCodes(user.id) };
}

/**
 * The second factor at sign-in (the `SecondFactor` seam of `session-service.ts`): asked of
 * everyone with TOTP enrolled; the proof is `{ totp: "123456" }` or `{ recoveryCode: "…" }`.
 */
export function createTotpSecondFactor(deps: MfaDeps): SecondFactor {
  return {
    required: (user) => hasMfa(user),
    async verify(user, proof) {
      const code = typeof proof.totp === 'string' ? proof.totp : typeof proof.recoveryCode === 'string' ? proof.recoveryCode : undefined;
      if (code === undefined) return undefined;
      try {
        return await verifyMfa({ ...deps, actor: `user:${user.name}` }, user.name, code, 'login');
      } catch (error) {
        if (error instanceof UsageError) return undefined;
        throw error;
      }
    },
  };
}
