/**
 * Management API calls carry a person's session (`Authorization: Bearer rk_ses_…`, from
 * `POST /v1/auth/login`). It is re-checked on every request: a logged-out, revoked,
 * expired or idle session, or a disabled account, is a 401 that never echoes what was
 * presented; a session row whose MAC fails is refused the same way and audited as
 * `row-refuse`. A CI job's workload session (`rk_wls_…`, from `POST /v1/auth/workload`)
 * is accepted the same way and acts as `workload:<identity>`. The source address is the
 * socket's peer (no forwarded header is trusted).
 *
 * The web dashboard carries the same session-service session in the HttpOnly
 * `rekey_session` cookie instead (from `POST /v1/auth/browser-login`). A cookie travels by
 * itself, so a cookie-authenticated state change must also prove it comes from the
 * dashboard (CSRF): `Origin` must be this server's origin (and `Sec-Fetch-Site`, when the
 * browser sends it, `same-origin`), and `X-Rekey-CSRF` must hold the session's CSRF token,
 * a hash of the session token that only the dashboard was told.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { AuditLog } from '../../../audit/audit-log.js';
import { bearerTokenOf } from '../../../access/token-verifier.js';
import { sessionGrantsOf } from '../../../team/sso-session.js';
import { checkSession, type SessionDeps } from '../../../team/session-service.js';
import { checkWorkloadSession, looksLikeWorkloadSessionToken } from '../../../team/workload-session.js';
import { createApiActor, createWorkloadActor, type ApiActor } from '../../api/api-actor.js';

/** The peer address of the request's socket, or `in-process` for `app.request()` calls. */
export function sourceOf(context: Context): string {
  const env = context.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'in-process';
}

export type SessionAuthDeps = Pick<SessionDeps, 'store' | 'clock' | 'integrity'> & { audit: Pick<AuditLog, 'record'> };

export const SESSION_COOKIE = 'rekey_session';
export const CSRF_HEADER = 'x-rekey-csrf';

/** The CSRF token of a browser session: derived from its (secret) session token, so nothing more is stored. */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update(`rekey-csrf:${sessionToken}`).digest('base64url');
}

/** The value of cookie `name` in a Cookie header. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** Whether the request is over TLS (cookies then carry `Secure`). */
export function isTls(context: Context): boolean {
  return new URL(context.req.url).protocol === 'https:';
}

/** The Set-Cookie value that carries (or, with `undefined`, clears) the browser session. */
export function sessionCookieHeader(context: Context, token: string | undefined, maxAgeSeconds = 0): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(isTls(context) ? ['Secure'] : [])];
  if (token === undefined) return `${SESSION_COOKIE}=; ${attributes.join('; ')}; Max-Age=0`;
  return `${SESSION_COOKIE}=${token}; ${attributes.join('; ')}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why a browser request may not change state (cross-site or without its CSRF token), or undefined when it may. */
export function crossSiteProblem(context: Context, sessionToken: string | undefined): string | undefined {
  const origin = context.req.header('origin');
  const own = new URL(context.req.url).origin;
  if (origin === undefined || origin !== own) return `a browser request that changes state must come from this server's own pages (Origin ${origin === undefined ? 'missing' : `"${origin}"`} is not ${own})`;
  const site = context.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `a browser request that changes state must be same-origin (Sec-Fetch-Site: ${site})`;
  if (sessionToken === undefined) return undefined;
  const presented = Buffer.from(context.req.header(CSRF_HEADER) ?? '');
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return `the ${CSRF_HEADER} header is missing or wrong: reload the dashboard`;
  return undefined;
}

/** The actor of a request with a live session, or why there is none (`status` 403: a forged browser request). */
export async function authenticateSession(deps: SessionAuthDeps, context: Context): Promise<{ actor: ApiActor; token: string } | { refused: string; status?: 403 }> {
  const bearer = bearerTokenOf(context.req.header('authorization'));
  const cookie = bearer === undefined ? cookieOf(context.req.header('cookie'), SESSION_COOKIE) : undefined;
  const presented = bearer ?? cookie;
  if (presented === undefined) return { refused: 'sign in first: a session is required (Authorization: Bearer rk_ses_…; rekey login; or the dashboard at /ui/)' };
  if (cookie !== undefined && !SAFE_METHODS.has(context.req.method)) {
    const problem = crossSiteProblem(context, cookie);
    if (problem !== undefined) return { refused: problem, status: 403 };
  }
  if (looksLikeWorkloadSessionToken(presented)) {
    const workload = await checkWorkloadSession(deps, presented);
    if (!workload.ok) return { refused: `${workload.reason}; exchange a fresh OIDC token (rekey login --workload-token-stdin)` };
    return { actor: createWorkloadActor(deps.audit, workload.identity, workload.session, deps.clock.now(), sourceOf(context)), token: presented };
  }
  const checked = await checkSession(deps, presented);
  if (!checked.ok && checked.tampered !== undefined) {
    // A session row written by SQL: refused, and reported as every refused row is (rekey doctor lists it).
    await deps.audit.record({ event: 'row-refuse', actor: 'rekey-serve', credential: null, fingerprint: null, outcome: 'error', detail: { ...checked.tampered, source: sourceOf(context) } });
  }
  if (!checked.ok) return { refused: `${checked.reason}; sign in again (rekey login)` };
  // A session opened through SSO carries the groups its IdP asserted at that login.
  const grants = await sessionGrantsOf(deps, checked.session);
  if (grants === 'tampered') return { refused: "the session's IdP groups fail their integrity check; sign in again (rekey login)" };
  const user = grants === undefined ? checked.user : { ...checked.user, sessionGrants: grants };
  return { actor: createApiActor(deps.audit, user, checked.session, sourceOf(context)), token: presented };
}
