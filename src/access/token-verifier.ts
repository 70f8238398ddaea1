/**
 * Verifies presented access tokens with a short cache, so the proxy does not hit the
 * store on every request. A revoked token stops working within `cacheMilliseconds`.
 * The cache is keyed by the token's SHA-256, never by the token itself.
 */
import type { AccessToken, AccessTokenKind } from '../core/types.js';
import { hashAccessToken, verifyAccessToken, type AccessTokenStore } from './access-tokens.js';

export interface TokenVerifier {
  verify(presented: string): Promise<AccessToken | undefined>;
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
  return {
    async verify(presented) {
      const key = hashAccessToken(presented).toString('base64');
      const cached = cache.get(key);
      if (cached !== undefined && cached.expiresAt > now()) return cached.token;
      const token = await verifyAccessToken(tokens, presented, kind);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { token, expiresAt: now() + cacheMilliseconds });
      return token;
    },
  };
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerTokenOf(header: string | undefined | null): string | undefined {
  if (header === undefined || header === null) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
