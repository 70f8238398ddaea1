/**
 * TOTP (RFC 6238, through otplib: SHA-1, 6 digits, 30-second steps, what authenticator apps
 * expect) and one-time recovery codes. Pure apart from randomness: the caller passes the
 * time, keeps the last accepted step (replay refusal) and stores only recovery-code hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';
import { UsageError } from '../core/errors.js';

export const TOTP_PERIOD_SECONDS = 30;
/** One step either side of now: a phone clock a little off still works. */
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
export const RECOVERY_CODE_COUNT = 10;

/** A new base32 secret of 20 random bytes (160 bits, RFC 4226's recommendation). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://totp/…` URI an authenticator app scans. It carries the secret: show it to the person only. */
export function totpUri(secret: string, account: string, issuer = 'rekey'): string {
  return generateURI({ issuer, label: account, secret, period: TOTP_PERIOD_SECONDS });
}

/** The code for `at` (tests and the enrolment check; never logged). */
export function totpCode(secret: string, at: Date): string {
  return generateSync({ secret, epoch: Math.floor(at.getTime() / 1000), period: TOTP_PERIOD_SECONDS });
}

export function looksLikeTotpCode(text: string): boolean {
  return /^\d{6}$/.test(text);
}

/**
 * The time step the code matches at `at` (± one step), or null. A step not later than
 * `afterStep` is refused: a code is good once.
 */
export function matchTotp(secret: string, code: string, at: Date, afterStep: number | null): number | null {
  if (!looksLikeTotpCode(code)) return null;
  const result = verifySync({
    secret,
    token: code,
    epoch: Math.floor(at.getTime() / 1000),
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** `xxxx-xxxx-xxxx-xxxx` from a 31-letter alphabet without look-alikes: about 79 bits each. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let code = '';
    while (code.length < 16) {
      for (const byte of randomBytes(24)) {
        // Rejection sampling (248 = 8 × 31) keeps every letter equally likely.
        if (byte < 248 && code.length < 16) code += CODE_ALPHABET[byte % CODE_ALPHABET.length];
      }
    }
    return code.replace(/(.{4})(?=.)/g, '$1-');
  });
}

export function normaliseRecoveryCode(text: string): string | null {
  const bare = text.trim().toLowerCase().replace(/[\s-]/g, '');
  if (bare.length !== 16 || [...bare].some((char) => !CODE_ALPHABET.includes(char))) return null;
  return bare;
}

/** What the store keeps of a recovery code: SHA-256 over the user id and the normalised code (hex). */
export function recoveryCodeHash(userId: string, code: string): string {
  const normalised = normaliseRecoveryCode(code);
  if (normalised === null) throw new UsageError('a recovery code is 16 letters and digits, e.g. abcd-efgh-jkmn-pqrs');
  return createHash('sha256').update(`rekey recovery code v1\0${userId}\0${normalised}`).digest('hex');
}
