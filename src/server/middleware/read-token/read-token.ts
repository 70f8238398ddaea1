/**
 * Every /v1 route of `rekey serve` takes a per-application read token
 * (`Authorization: Bearer rk_read_…`); a missing, malformed, unknown, revoked or proxy token
 * is a 401 that never echoes what was presented (and is counted by `onRefused`, for the
 * auth-failure alert). The verified token is set on the context.
 */
import type { MiddlewareHandler } from 'hono';
import { sourceAddressOf } from '../../../access/listen-fetch.js';
import { bearerTokenOf, type TokenVerifier } from '../../../access/token-verifier.js';
import { apiError, type ServerEnv } from '../../server-env.js';

export function requireReadToken(verifier: TokenVerifier, onRefused?: () => void): MiddlewareHandler<ServerEnv> {
  return async (context, next) => {
    const presented = bearerTokenOf(context.req.header('authorization'));
    const token = presented === undefined ? undefined : await verifier.verify(presented, sourceAddressOf(context.env));
    if (token === undefined) {
      onRefused?.();
      context.header('www-authenticate', 'Bearer realm="rekey"');
      return apiError(context, 401, 'unauthorized', 'a valid read token is required (Authorization: Bearer rk_read_…)');
    }
    context.set('token', token);
    await next();
    return undefined;
  };
}
