/**
 * Access tokens: what an application holds instead of a provider key.
 * - `read` tokens let `rekey serve` hand the named credentials' keys to an SDK;
 * - `proxy` tokens (virtual keys) let `rekey proxy` call the provider on the app's behalf.
 *
 * A token reads `rk_<kind>_<id>_<secret>`: the id finds the row, the secret (32 random
 * bytes) is never stored — only SHA-256 of the whole token, compared in constant time.
 * A high-entropy token needs no slow hash. Tokens are revocable and never logged.
 *
 * A token is scoped by credential id (names are resolved when it is created), may expire
 * (`expiresAt`) and may be bound to source networks (`cidrs`); `verifyAccessToken` checks
 * all of them on every use.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import type { AccessToken, AccessTokenKind } from '../core/types.js';
import type { Store } from '../store/store.js';
import { parseCidr, sourceAllowed } from './token-network.js';

/** Where tokens are kept: the store's access-token part. */
export type AccessTokenStore = Pick<Store, 'insertAccessToken' | 'findAccessToken' | 'listAccessTokens' | 'revokeAccessToken'>;

export interface TokenRequest {
  kind: AccessTokenKind;
  name: string;
  /** Credential names; the token is scoped by their ids, resolved here. */
  credentials: string[];
  allowedModels: string[];
  /** Proxy tokens: endpoint groups beyond inference and model listing. */
  allowedEndpoints?: string[];
  createdBy: string;
  /** Lifetime in seconds from creation; absent: until revoked. */
  ttlSeconds?: number | undefined;
  /** Source networks it is accepted from (CIDR); absent or empty: any. */
  cidrs?: readonly string[] | undefined;
}

/** Where a presented token is checked: the time and the connection's source address. */
export interface TokenUse {
  now: Date;
  /** The peer address of the connection; undefined when unknown (a CIDR-bound token is then refused). */
  source?: string | undefined;
}

/** Why a token that exists is refused now, or undefined when it may be used. */
export function tokenRefusal(token: AccessToken, use: TokenUse): 'revoked' | 'expired' | 'source' | undefined {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt.getTime() <= use.now.getTime()) return 'expired';
  if (!sourceAllowed(token.cidrs, use.source)) return 'source';
  return undefined;
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
  tokens: Pick<AccessTokenStore, 'insertAccessToken'> & Pick<Store, 'getCredential'>,
  input: TokenRequest,
  now: Date,
): Promise<{ token: AccessToken; secret: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(input.name)) {
    throw new UsageError(`token name "${input.name}" must be 1-100 letters, digits, ".", "_", "/" or "-"`);
  }
  if (input.credentials.length === 0) throw new UsageError('a token needs at least one credential');
  if (input.ttlSeconds !== undefined && !(Number.isInteger(input.ttlSeconds) && input.ttlSeconds > 0)) {
    throw new UsageError(`a token's lifetime must be a whole number of seconds above 0, not ${input.ttlSeconds}`);
  }
  const cidrs = [...new Set((input.cidrs ?? []).map((cidr) => parseCidr(cidr)))];
  const names = [...new Set(input.credentials)];
  const credentialIds: string[] = [];
  for (const name of names) {
    const credential = await tokens.getCredential(name);
    if (credential === undefined) throw new UsageError(`no credential named ${name}`, { hint: 'rekey credential list' });
    credentialIds.push(credential.id);
  }
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = `rk_${input.kind}_${id}_${randomBytes(32).toString('base64url')}`;
  const token = await tokens.insertAccessToken(
    {
      id,
      kind: input.kind,
      name: input.name,
      credentials: names,
      credentialIds,
      expiresAt: input.ttlSeconds === undefined ? null : new Date(now.getTime() + input.ttlSeconds * 1000),
      cidrs,
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
 * The token that `presented` is, when it exists, is of `kind` and its hash matches, or
 * undefined; whether it may be used now is `tokenRefusal` (the verifier checks both). The
 * hash comparison is constant time; an unknown id costs one comparison against a dummy.
 */
export async function findPresentedToken(tokens: Pick<AccessTokenStore, 'findAccessToken'>, presented: string, kind: AccessTokenKind): Promise<AccessToken | undefined> {
  const match = TOKEN_PATTERN.exec(presented);
  if (match === null || match[1] !== kind || match[2] === undefined) return undefined;
  const found = await tokens.findAccessToken(match[2]);
  const actual = hashAccessToken(presented);
  const expected = found?.hash ?? DUMMY_HASH;
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!equal || found === undefined || found.token.kind !== kind) return undefined;
  return found.token;
}

/** The token that `presented` is when it may be used now (live, not expired, from an allowed source), or undefined. */
export async function verifyAccessToken(
  tokens: Pick<AccessTokenStore, 'findAccessToken'>,
  presented: string,
  kind: AccessTokenKind,
  use: TokenUse = { now: new Date() },
): Promise<AccessToken | undefined> {
  const token = await findPresentedToken(tokens, presented, kind);
  return token === undefined || tokenRefusal(token, use) !== undefined ? undefined : token;
}

const DUMMY_HASH = hashAccessToken('rk_read_000000000000_' + 'A'.repeat(43));
