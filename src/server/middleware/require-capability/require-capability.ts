/**
 * The one place where a management API action is authorized. The role check
 * (`src/team/access-control.ts`, deny by default) runs first; then every gate in turn
 * (step-up MFA, two-person approval: issue 11 items 4 and 5 plug in here) may refuse the
 * action or say how it was satisfied (the MFA method, the approval id), which the actor's
 * audit context then carries. A refusal is audited (`access-deny`) with the actor, the
 * capability and the target, and answered as a JSON error naming both.
 */
import type { Capability } from '../../../core/team-types.js';
import type { Store } from '../../../store/store.js';
import type { AccessControl } from '../../../team/access-control.js';
import { grantsOf, type AuthorizationTarget } from '../../../team/authorize.js';
import { principalOf } from '../../../team/access-control.js';
import type { ApiActor } from '../../api/api-actor.js';
import type { AccessRequest, RouteInput } from '../../api/api-route.js';

export interface ActionRequest extends AccessRequest {
  /** The API operation (`rotation-start`), for gates and the audit log. */
  operation: string;
  input: RouteInput<unknown, unknown, unknown>;
  /** The approved two-person request this call runs under (header `x-rekey-approval`). */
  approvalId?: string | undefined;
}

export type GateResult =
  | { pass: true; mfa?: string | undefined; approval?: string | undefined }
  | { pass: false; status: 401 | 403; code: string; message: string; extra?: Record<string, unknown> | undefined };

/** A check after the role check (step-up MFA, approvals). */
export interface ActionGate {
  check(actor: ApiActor, request: ActionRequest): Promise<GateResult>;
}

export type ActionDecision =
  | { allowed: true; role: string; bindingId: string }
  | { allowed: false; status: 401 | 403; code: string; message: string; capability: Capability; scope: string; extra?: Record<string, unknown> | undefined };

export interface CapabilityDeps {
  access: AccessControl;
  store: Pick<Store, 'listRoles' | 'listRoleBindings'>;
  gates?: readonly ActionGate[] | undefined;
}

export function describeTarget(target: AuthorizationTarget): string {
  return target.kind === 'install' ? 'install' : target.name;
}

/**
 * Decides one action for one actor. Allowed: the actor's `via` records the MFA method and
 * approval the gates report. Refused: an `access-deny` event is written.
 */
export async function requireCapability(deps: CapabilityDeps, actor: ApiActor, request: ActionRequest): Promise<ActionDecision> {
  const { capability, target } = request;
  const scope = describeTarget(target);
  const deny = async (status: 401 | 403, code: string, message: string, extra?: Record<string, unknown>): Promise<ActionDecision> => {
    await actor.audit.record({
      event: 'access-deny', actor: actor.name, credential: target.kind === 'credential' ? target.name : null, fingerprint: null, outcome: 'error',
      detail: { operation: request.operation, capability, scope, code, reason: message },
    });
    return { allowed: false, status, code, message, capability, scope, extra };
  };
  const decision = await deps.access.check(actor.user, capability, target);
  if (!decision.allowed) {
    const [roles, bindings] = await Promise.all([deps.store.listRoles(), deps.store.listRoleBindings()]);
    const held = grantsOf(principalOf(actor.user), roles, bindings).filter((grant) => grant.capabilities.includes(capability)).map((grant) => `${grant.role} on ${grant.scope}`);
    return deny(403, 'forbidden', `${decision.reason} (needs capability ${capability} on ${scope})`, { held });
  }
  for (const gate of deps.gates ?? []) {
    const result = await gate.check(actor, request);
    if (!result.pass) return deny(result.status, result.code, result.message, result.extra);
    if (result.mfa !== undefined) actor.via.mfa = result.mfa;
    if (result.approval !== undefined) actor.via.approval = result.approval;
  }
  return { allowed: true, role: decision.role, bindingId: decision.bindingId };
}
