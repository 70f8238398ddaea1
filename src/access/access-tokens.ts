/**
 * Access tokens: what an application holds instead of a provider key.
 * - `read` tokens let `rekey serve` hand the named credentials' keys to an SDK;
 * - `proxy` tokens (virtual keys) let `rekey proxy` call the provider on the app's behalf.
 *
 * A token reads `rk_<kind>_<id>_<secret>`: the id finds the row, the secret (32 random
 * bytes) is never stored — only SHA-256 of the whole token, compared in constant time.
 * A high-entropy token needs no slow hash. Tokens are revocable and never logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { AccessToken, AccessTokenKind } from '../core/types.js';
import type { Store } from '../store/store.js';

/** Where tokens are kept: the store's access-token part. */
export type AccessTokenStore = Pick<Store, 'insertAccessToken' | 'findAccessToken' | 'listAccessTokens' | 'revokeAccessToken'>;

export interface TokenRequest {
  kind: AccessTokenKind;
  name: string;
  credentials: string[];
  allowedModels: string[];
  /** Proxy tokens: endpoint groups beyond inference and model listing. */
  allowedEndpoints?: string[];
  createdBy: string;
}

const TOKEN_PATTERN = /^rk_(read|proxy)_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function hashAccessToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function looksLikeAccessToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/** Creates a token; the returned `secret` is shown once and never stored. */
export async function issueAccessToken(
  tokens: Pick<AccessTokenStore, 'insertAccessToken'>,
  input: TokenRequest,
  now: Date,
): Promise<{ token: AccessToken; secret: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(input.name)) {
    throw new UsageError(`token name "${input.name}" must be 1-100 letters, digits, ".", "_", "/" or "-"`);
  }
  if (input.credentials.length === 0) throw new UsageError('a token needs at least one credential');
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = `rk_${input.kind}_${id}_${randomBytes(32).toString('base64url')}`;
  const token = await tokens.insertAccessToken(
    {
      id,
      kind: input.kind,
      name: input.name,
      credentials: [...new Set(input.credentials)],
      allowedModels: [...new Set(input.allowedModels)],
      allowedEndpoints: [...new Set(input.allowedEndpoints ?? [])],
      createdAt: now,
      createdBy: input.createdBy,
    },
    hashAccessToken(secret),
  );
  return { token, secret };
}

/**
 * The live token that `presented` is, or undefined. The hash comparison is constant
 * time; an unknown id costs one comparison against a dummy so both paths look alike.
 */
export async function verifyAccessToken(tokens: Pick<AccessTokenStore, 'findAccessToken'>, presented: string, kind: AccessTokenKind): Promise<AccessToken | undefined> {
  const match = TOKEN_PATTERN.exec(presented);
  if (match === null || match[1] !== kind || match[2] === undefined) return undefined;
  const found = await tokens.findAccessToken(match[2]);
  const actual = hashAccessToken(presented);
  const expected = found?.hash ?? DUMMY_HASH;
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!equal || found === undefined || found.token.revokedAt !== null || found.token.kind !== kind) return undefined;
  return found.token;
}

const DUMMY_HASH = hashAccessToken('rk_read_000000000000_' + 'A'.repeat(43));
