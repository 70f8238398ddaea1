/**
 * Authorization against the store: loads the person, their roles and bindings and asks the
 * pure `authorize`. Rows whose integrity tag fails are left out (so a binding inserted by
 * SQL grants nothing) and reported through `onTampered`.
 */
import type { Capability } from '../core/team-types.js';
import type { Credential } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { UserRecord } from '../store/team-store-types.js';
import { authorize, type AuthorizationDecision, type AuthorizationTarget, type Principal } from './authorize.js';
import { bindingMacFields, roleMacFields } from './role-service.js';
import type { RowIntegrity } from './team-deps.js';
import { userIntact } from './user-service.js';

export function credentialTarget(credential: Pick<Credential, 'name' | 'environment' | 'provider' | 'tags'>): AuthorizationTarget {
  return { kind: 'credential', name: credential.name, environment: credential.environment, provider: credential.provider, ownerTeam: credential.tags.team ?? null };
}

export const INSTALL_TARGET: AuthorizationTarget = { kind: 'install' };

/**
 * What a session adds to its person for authorization: the groups an OIDC issuer asserted
 * at this login (they end with the session), and whether the issuer asserted MFA. A
 * workload session is a machine acting as `workload:<identity>`: its record is built by
 * the server from an identity row whose MAC was checked, so it has no users row to check.
 */
export interface SessionGrants {
  groups: readonly string[];
  mfa: boolean;
  workload?: boolean | undefined;
}

/** A person's record, with what their session adds (absent: a password or local session). */
export type AccessSubject = UserRecord & { sessionGrants?: SessionGrants | undefined };

export function principalOf(user: AccessSubject): Principal {
  const extra = user.sessionGrants?.groups ?? [];
  const groups = extra.length === 0 ? user.groups : [...new Set([...user.groups, ...extra])];
  return { name: user.name, groups, active: user.status === 'active', mfaEnrolled: (user.totpSealed !== null && user.totpConfirmed) || user.sessionGrants?.mfa === true };
}

export interface AccessControl {
  check(user: AccessSubject, capability: Capability, target: AuthorizationTarget): Promise<AuthorizationDecision>;
}

export function createAccessControl(deps: { store: Pick<Store, 'listRoles' | 'listRoleBindings'>; integrity?: RowIntegrity | undefined; onTampered?: (what: string) => void }): AccessControl {
  const { integrity } = deps;
  return {
    async check(user, capability, target) {
      if (user.sessionGrants?.workload !== true && !userIntact({ integrity }, user)) {
        deps.onTampered?.(`users row ${user.id}`);
        return { allowed: false, capability, reason: `user ${user.name}'s record fails its integrity check` };
      }
      const [roles, bindings] = await Promise.all([deps.store.listRoles(), deps.store.listRoleBindings()]);
      const intactRoles = roles.filter((role) => {
        // Built-in roles are checked too: their requireMfa lives in the row.
        const ok = integrity === undefined || integrity.check('roles', roleMacFields(role), role.mac);
        if (!ok) deps.onTampered?.(`roles row ${role.name}`);
        return ok;
      });
      const intactBindings = bindings.filter((binding) => {
        const ok = integrity === undefined || integrity.check('role_bindings', bindingMacFields(binding), binding.mac);
        if (!ok) deps.onTampered?.(`role_bindings row ${binding.id}`);
        return ok;
      });
      return authorize({ principal: principalOf(user), capability, target, roles: intactRoles, bindings: intactBindings });
    },
  };
}
