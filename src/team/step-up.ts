/**
 * The one gate a person's request passes before it acts: the role check (`authorize`
 * through `AccessControl`), then the MFA rules layered on top of it.
 *
 * - A role with `require-mfa` is usable only in a session that passed MFA.
 * - Step-up: a dangerous capability on a production credential (`needsStepUp`) needs an
 *   MFA proof recorded on the session within the last `STEP_UP_WINDOW_SECONDS`, whatever
 *   the role says. `stepUpSession` records a fresh proof.
 *
 * The decision carries the MFA method the session holds, for the audit event.
 */
import type { Capability } from '../core/team-types.js';
import type { SessionRecord } from '../store/team-store-types.js';
import type { AccessControl, AccessSubject } from './access-control.js';
import { needsStepUp, type AuthorizationTarget } from './authorize.js';
import { sessionResealer } from './session-integrity.js';
import { verifyMfa, type MfaDeps, type MfaMethod } from './mfa-service.js';

export const STEP_UP_WINDOW_SECONDS = 300;

export type GateDenial = 'forbidden' | 'mfa-required' | 'step-up-required';

export type GateDecision =
  | { allowed: true; capability: Capability; role: string; mfaMethod: string | null; steppedUp: boolean }
  | { allowed: false; capability: Capability; denial: GateDenial; reason: string; hint?: string };

/** The session's MFA proof, when it is within the step-up window at `now`. */
export function freshMfa(session: Pick<SessionRecord, 'mfaAt' | 'mfaMethod'>, now: Date): string | null {
  if (session.mfaAt === null || session.mfaMethod === null) return null;
  const age = now.getTime() - session.mfaAt.getTime();
  return age >= 0 && age <= STEP_UP_WINDOW_SECONDS * 1000 ? session.mfaMethod : null;
}

export interface GateRequest {
  user: AccessSubject;
  session: Pick<SessionRecord, 'mfaAt' | 'mfaMethod'>;
  capability: Capability;
  target: AuthorizationTarget;
}

export async function gatePersonRequest(deps: { accessControl: AccessControl; clock: { now(): Date } }, request: GateRequest): Promise<GateDecision> {
  const { user, session, capability, target } = request;
  const decision = await deps.accessControl.check(user, capability, target);
  if (!decision.allowed) return { allowed: false, capability, denial: 'forbidden', reason: decision.reason };
  if (decision.requireMfa && session.mfaAt === null) {
    return { allowed: false, capability, denial: 'mfa-required', reason: `role ${decision.role} requires MFA and this session has not passed it`, hint: 'verify a code: rekey mfa verify' };
  }
  if (needsStepUp(capability, target)) {
    const method = freshMfa(session, deps.clock.now());
    if (method === null) {
      const where = target.kind === 'install' ? 'this install' : target.name;
      return {
        allowed: false,
        capability,
        denial: 'step-up-required',
        reason: `${capability} on ${where} needs a fresh MFA proof (within ${STEP_UP_WINDOW_SECONDS / 60} minutes)`,
        hint: 'step up with a current code: rekey mfa verify',
      };
    }
    return { allowed: true, capability, role: decision.role, mfaMethod: method, steppedUp: true };
  }
  return { allowed: true, capability, role: decision.role, mfaMethod: session.mfaMethod, steppedUp: false };
}

/** Verifies a second factor and records it on the session (step-up, or MFA at sign-in). */
export async function stepUpSession(deps: MfaDeps, session: Pick<SessionRecord, 'id'>, userName: string, code: string): Promise<{ method: MfaMethod; at: Date }> {
  const method = await verifyMfa(deps, userName, code, 'step-up');
  const at = deps.clock.now();
  await deps.store.recordSessionMfa(session.id, at, method, sessionResealer(deps.integrity));
  return { method, at };
}
