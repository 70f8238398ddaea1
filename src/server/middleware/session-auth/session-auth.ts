/**
 * Management API calls carry a person's session (`Authorization: Bearer rk_ses_…`, from
 * `POST /v1/auth/login`). It is re-checked on every request: a logged-out, revoked,
 * expired or idle session, or a disabled account, is a 401 that never echoes what was
 * presented; a session row whose MAC fails is refused the same way and audited as
 * `row-refuse`. A CI job's workload session (`rk_wls_…`, from `POST /v1/auth/workload`)
 * is accepted the same way and acts as `workload:<identity>`. The source address is the
 * socket's peer (no forwarded header is trusted).
 */
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

/** The actor of a request with a live session, or why there is none. */
export async function authenticateSession(deps: SessionAuthDeps, context: Context): Promise<{ actor: ApiActor } | { refused: string }> {
  const presented = bearerTokenOf(context.req.header('authorization'));
  if (presented === undefined) return { refused: 'sign in first: a session is required (Authorization: Bearer rk_ses_…; rekey login)' };
  if (looksLikeWorkloadSessionToken(presented)) {
    const workload = await checkWorkloadSession(deps, presented);
    if (!workload.ok) return { refused: `${workload.reason}; exchange a fresh OIDC token (rekey login --workload-token-stdin)` };
    return { actor: createWorkloadActor(deps.audit, workload.identity, workload.session, deps.clock.now(), sourceOf(context)) };
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
  return { actor: createApiActor(deps.audit, user, checked.session, sourceOf(context)) };
}
