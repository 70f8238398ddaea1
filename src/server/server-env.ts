/**
 * What the routes and middleware of `rekey serve` share: the Hono environment (the verified
 * token set by the read-token middleware) and the one error body.
 */
import type { Context } from 'hono';
import type { AccessToken } from '../core/types.js';

export type ServerEnv = { Variables: { token: AccessToken } };

export function apiError(context: Context, status: 400 | 401 | 403 | 404 | 422 | 500 | 503, code: string, message: string): Response {
  context.header('cache-control', 'no-store');
  return context.json({ error: { code, message } }, status);
}

/** A 403 unless the request's token is scoped to credential `name` (checked before existence: no probing). */
export function outOfScope(context: Context<ServerEnv>, name: string): Response | undefined {
  const token = context.get('token');
  if (token.credentials.includes(name)) return undefined;
  return apiError(context, 403, 'forbidden', `token ${token.name} may not read credential ${name}`);
}
