/**
 * Service tokens of SaaS applications for the BYOK routes (issue 20): `rk_byok_<id>_<secret>`,
 * scoped to tenants. Like access tokens, only SHA-256 of the token is stored and compared in
 * constant time; on a sealed install each row carries a MAC (src/crypto/integrity-keys.ts),
 * so a token row written by SQL alone — even one copying a real row's MAC — is refused.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { RowIntegrity } from '../crypto/integrity-keys.js';
import type { ByokTokenRecord } from '../store/byok-store-types.js';
import type { Store } from '../store/store.js';

const PATTERN = /^rk_byok_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest();
const DUMMY = hash(`rk_byok_000000000000_${'A'.repeat(43)}`);

export function byokTokenMacFields(token: ByokTokenRecord, tokenHash: Buffer): Record<string, unknown> {
  return { id: token.id, name: token.name, tenants: token.tenants, hash: tokenHash.toString('base64'), expiresAt: token.expiresAt, revokedAt: token.revokedAt };
}

export async function issueByokToken(
  store: Pick<Store, 'insertByokToken' | 'getByokTenant'>,
  input: { name: string; tenants: string[]; createdBy: string; ttlSeconds?: number },
  now: Date,
  integrity: RowIntegrity | undefined,
): Promise<{ token: ByokTokenRecord; secret: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(input.name)) throw new UsageError(`token name "${input.name.slice(0, 40)}" must be 1-100 letters, digits, ".", "_", "/" or "-"`);
  if (input.tenants.length === 0) throw new UsageError('a BYOK token needs at least one tenant (--tenant)');
  for (const tenant of input.tenants) {
    if ((await store.getByokTenant(tenant)) === undefined) throw new UsageError(`no BYOK tenant ${tenant}`, { hint: 'rekey byok tenant create <tenant>' });
  }
  if (input.ttlSeconds !== undefined && !(Number.isInteger(input.ttlSeconds) && input.ttlSeconds > 0)) throw new UsageError('a token lifetime must be a whole number of seconds above 0');
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = `rk_byok_${id}_${randomBytes(32).toString('base64url')}`;
  const token: ByokTokenRecord = {
    id, name: input.name, tenants: [...new Set(input.tenants)], createdAt: now, createdBy: input.createdBy, revokedAt: null,
    expiresAt: input.ttlSeconds === undefined ? null : new Date(now.getTime() + input.ttlSeconds * 1000),
  };
  const tokenHash = hash(secret);
  const mac = integrity === undefined ? null : integrity.tag('byok_tokens', byokTokenMacFields(token, tokenHash));
  return { token: await store.insertByokToken(token, tokenHash, mac), secret };
}

/** The live token `presented` is, or undefined (unknown, wrong secret, revoked, expired, or a row that fails its MAC). */
export async function verifyByokToken(
  store: Pick<Store, 'findByokToken'>,
  presented: string,
  now: Date,
  integrity: RowIntegrity | undefined,
  onTampered?: (id: string) => void,
): Promise<ByokTokenRecord | undefined> {
  const match = PATTERN.exec(presented);
  if (match === null || match[1] === undefined) return undefined;
  const found = await store.findByokToken(match[1]);
  const actual = hash(presented);
  const expected = found?.hash ?? DUMMY;
  if (!(expected.length === actual.length && timingSafeEqual(expected, actual)) || found === undefined) return undefined;
  if (integrity !== undefined && !integrity.check('byok_tokens', byokTokenMacFields(found.token, found.hash), found.mac)) {
    onTampered?.(found.token.id);
    return undefined;
  }
  if (found.token.revokedAt !== null) return undefined;
  if (found.token.expiresAt !== null && found.token.expiresAt.getTime() <= now.getTime()) return undefined;
  return found.token;
}

export function revokeByokToken(store: Pick<Store, 'revokeByokToken'>, idOrName: string, at: Date, integrity: RowIntegrity | undefined): Promise<ByokTokenRecord> {
  return store.revokeByokToken(idOrName, at, integrity === undefined ? undefined : (token, tokenHash) => integrity.tag('byok_tokens', byokTokenMacFields(token, tokenHash)));
}
