/**
 * The one authorization decision, as a pure function: deny by default. A person may use a
 * capability on a target only when some role binding (to the person or to one of their
 * groups) names a role that exists, grants the capability, and has a scope covering the
 * target. Install-wide capabilities (users, policy, audit, master key) need a binding
 * whose scope is unrestricted. A disabled person is refused whatever they are bound to.
 */
import { isInstallCapability, STEP_UP_CAPABILITIES, type Capability, type Role, type RoleBinding } from '../core/team-types.js';
import { describeScope, isUnrestricted, scopeCovers, type ScopeTarget } from './scope-match.js';

export interface Principal {
  name: string;
  groups: readonly string[];
  active: boolean;
  /** MFA enrolled (TOTP). */
  mfaEnrolled: boolean;
}

export type AuthorizationTarget = { kind: 'install' } | ({ kind: 'credential' } & ScopeTarget);

export interface AuthorizationRequest {
  principal: Principal;
  capability: Capability;
  target: AuthorizationTarget;
  roles: readonly Role[];
  bindings: readonly RoleBinding[];
}

export type AuthorizationDecision =
  | { allowed: true; capability: Capability; role: string; bindingId: string; requireMfa: boolean }
  | { allowed: false; capability: Capability; reason: string };

function describeTarget(target: AuthorizationTarget): string {
  return target.kind === 'install' ? 'this install' : target.name;
}

function boundTo(principal: Principal, binding: RoleBinding): boolean {
  return binding.subjectKind === 'user' ? binding.subject === principal.name : principal.groups.includes(binding.subject);
}

export function authorize(request: AuthorizationRequest): AuthorizationDecision {
  const { principal, capability, target } = request;
  const deny = (reason: string): AuthorizationDecision => ({ allowed: false, capability, reason });
  if (!principal.active) return deny(`user ${principal.name} is disabled`);
  const roles = new Map(request.roles.map((role) => [role.name, role]));
  const installWide = isInstallCapability(capability);
  if (installWide !== (target.kind === 'install')) {
    return deny(`capability ${capability} is ${installWide ? 'install-wide' : 'granted on credentials'}, not on ${describeTarget(target)}`);
  }
  const granting = request.bindings.flatMap((binding) => {
    if (!boundTo(principal, binding)) return [];
    const role = roles.get(binding.role);
    if (role === undefined || !role.capabilities.includes(capability)) return [];
    const covers = target.kind === 'install' ? isUnrestricted(binding.scope) : scopeCovers(binding.scope, target);
    return covers ? [{ binding, role }] : [];
  });
  if (granting.length === 0) return deny(`user ${principal.name} lacks capability ${capability} on ${describeTarget(target)}`);
  // Prefer a grant the person can use now: one without an MFA requirement, or any when MFA is enrolled.
  const usable = granting.find(({ role }) => !role.requireMfa) ?? granting[0];
  if (usable === undefined) return deny(`user ${principal.name} lacks capability ${capability} on ${describeTarget(target)}`);
  const requireMfa = usable.role.requireMfa;
  if (requireMfa && !principal.mfaEnrolled) {
    return deny(`role ${usable.role.name} requires MFA and user ${principal.name} has none enrolled (rekey mfa enroll)`);
  }
  return { allowed: true, capability, role: usable.role.name, bindingId: usable.binding.id, requireMfa };
}

/** Which roles and scopes grant `capability` to the principal, for `whoami` and error hints. */
export function grantsOf(principal: Principal, roles: readonly Role[], bindings: readonly RoleBinding[]): Array<{ role: string; scope: string; capabilities: Capability[] }> {
  const byName = new Map(roles.map((role) => [role.name, role]));
  return bindings.flatMap((binding) => {
    const role = byName.get(binding.role);
    if (role === undefined || !boundTo(principal, binding)) return [];
    return [{ role: role.name, scope: describeScope(binding.scope), capabilities: [...role.capabilities] }];
  });
}

/** Production credentials need step-up MFA for the dangerous capabilities. */
export function isProduction(environment: string): boolean {
  return /^(prod|production|prd|live)$/i.test(environment);
}

export function needsStepUp(capability: Capability, target: AuthorizationTarget): boolean {
  if (!STEP_UP_CAPABILITIES.includes(capability)) return false;
  return target.kind === 'install' || isProduction(target.environment);
}
