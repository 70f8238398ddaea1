/**
 * What an SSO login adds to its session (issue 11, OIDC for people): the groups the IdP
 * asserted at that login, kept beside the session (`session_claims`, MAC-sealed) and gone
 * with it, so a person removed from a group at the IdP loses it at the next login at the
 * latest and nothing is kept on the user's row.
 */
import type { SessionClaimsRecord } from '../store/identity-store-types.js';
import type { SessionRecord } from '../store/team-store-types.js';
import type { SessionGrants } from './access-control.js';
import type { TeamDeps } from './team-deps.js';

/** The MFA method recorded on a session whose IdP asserted MFA (`amr`/`acr`). */
export const IDP_MFA_PREFIX = 'oidc:';

export function sessionClaimsMacFields(claims: Pick<SessionClaimsRecord, 'sessionId' | 'provider' | 'groups'>): Record<string, unknown> {
  return { sessionId: claims.sessionId, provider: claims.provider, groups: [...claims.groups].sort() };
}

/** The session's IdP grants: undefined for a session without any, `tampered` when its row's MAC fails (the request is refused). */
export async function sessionGrantsOf(deps: Pick<TeamDeps, 'store' | 'integrity'>, session: Pick<SessionRecord, 'id' | 'mfaMethod'>): Promise<SessionGrants | undefined | 'tampered'> {
  const claims = await deps.store.getSessionClaims(session.id);
  if (claims === undefined) return undefined;
  if (deps.integrity !== undefined && !deps.integrity.check('session_claims', sessionClaimsMacFields(claims), claims.mac)) return 'tampered';
  return { groups: claims.groups, mfa: session.mfaMethod?.startsWith(IDP_MFA_PREFIX) === true };
}
