/**
 * Verifies presented access tokens with a short cache, so the proxy does not hit the
 * store on every request. A revoked token stops working within `cacheMilliseconds`; expiry
 * and the CIDR binding are checked on every request, cached or not. `recheck` reads the
 * store again, for an answer that was held back (a long poll) before it carries a key.
 * The cache is keyed by the token's SHA-256, never by the token itself.
 */
import type { AccessToken, AccessTokenKind } from '../core/types.js';
import { findPresentedToken, hashAccessToken, tokenRefusal, type AccessTokenStore } from './access-tokens.js';

export interface TokenVerifier {
  /** The token when it may be used now from `source` (the connection's peer address), else undefined. */
  verify(presented: string, source?: string): Promise<AccessToken | undefined>;
  /** The token as the store has it now, when it may still be used from `source`; undefined once revoked, expired or gone. */
  recheck(token: AccessToken, source?: string): Promise<AccessToken | undefined>;
}

export function createTokenVerifier(options: {
  tokens: Pick<AccessTokenStore, 'findAccessToken'>;
  kind: AccessTokenKind;
  cacheMilliseconds?: number;
  now?: () => number;
}): TokenVerifier {
  const { tokens, kind } = options;
  const cacheMilliseconds = options.cacheMilliseconds ?? 5_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { token: AccessToken | undefined; expiresAt: number }>();
  const usable = (token: AccessToken | undefined, source: string | undefined) =>
    token !== undefined && tokenRefusal(token, { now: new Date(now()), source }) === undefined ? token : undefined;
  return {
    async verify(presented, source) {
      const key = hashAccessToken(presented).toString('base64');
      const cached = cache.get(key);
      if (cached !== undefined && cached.expiresAt > now()) return usable(cached.token, source);
      const token = await findPresentedToken(tokens, presented, kind);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { token, expiresAt: now() + cacheMilliseconds });
      return usable(token, source);
    },

    async recheck(token, source) {
      const found = await tokens.findAccessToken(token.id);
      return found === undefined || found.token.kind !== kind ? undefined : usable(found.token, source);
    },
  };
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerTokenOf(header: string | undefined | null): string | undefined {
  if (header === undefined || header === null) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
