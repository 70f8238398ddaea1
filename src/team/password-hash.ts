/**
 * Local account passwords: scrypt at the OWASP Password Storage Cheat Sheet's parameters
 * (N=2^17, r=8, p=1), a 16-byte random salt, a 32-byte hash, encoded with its parameters
 * (`scrypt$17$8$1$<salt>$<hash>`, base64url) so that stronger parameters later still read
 * old hashes. Verification compares in constant time; a malformed stored hash never
 * verifies.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../core/errors.js';

export interface ScryptParameters {
  /** log2 of N. */
  logN: number;
  r: number;
  p: number;
}

export const OWASP_SCRYPT: ScryptParameters = { logN: 17, r: 8, p: 1 };

const HASH_BYTES = 32;
const SALT_BYTES = 16;
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  const N = 2 ** parameters.logN;
  // scrypt needs 128·N·r bytes; leave headroom over Node's 32 MiB default.
  const maxmem = 256 * N * parameters.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { N, r: parameters.r, p: parameters.p, maxmem }, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** Refuses passwords that are too short or too long with a message saying which. */
export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters (it has ${password.length})`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new UsageError(`the password must have at most ${MAX_PASSWORD_LENGTH} characters`);
}

export async function hashPassword(password: string, parameters: ScryptParameters = OWASP_SCRYPT): Promise<string> {
  checkPasswordStrength(password);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, parameters);
  return ['scrypt', parameters.logN, parameters.r, parameters.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export function parsePasswordHash(stored: string): { parameters: ScryptParameters; salt: Buffer; hash: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [logN, r, p] = parts.slice(1, 4).map(Number);
  if (logN === undefined || r === undefined || p === undefined) return undefined;
  if (!Number.isInteger(logN) || logN < 10 || logN > 22 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < SALT_BYTES || hash.length !== HASH_BYTES) return undefined;
  return { parameters: { logN, r, p }, salt, hash };
}

/** A dummy hash at the default cost: verifying against it makes "no such user" cost the same as a wrong password. */
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = stored === null ? undefined : parsePasswordHash(stored);
  if (parsed === undefined || password.length > MAX_PASSWORD_LENGTH) {
    dummyHash ??= hashPassword('x'.repeat(MIN_PASSWORD_LENGTH));
    const dummy = parsePasswordHash(await dummyHash);
    if (dummy !== undefined) await derive(password.slice(0, MAX_PASSWORD_LENGTH), dummy.salt, dummy.parameters);
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed.parameters);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when the stored hash is weaker than the parameters given (re-hash at next login). */
export function needsRehash(stored: string, parameters: ScryptParameters = OWASP_SCRYPT): boolean {
  const parsed = parsePasswordHash(stored);
  return parsed === undefined || parsed.parameters.logN < parameters.logN || parsed.parameters.r < parameters.r;
}
