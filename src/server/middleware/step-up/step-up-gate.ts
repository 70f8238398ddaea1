/**
 * The MFA gate of `requireCapability` (issue 11 item 4): a role with require-mfa needs a
 * session that passed MFA, and a dangerous capability on a production credential (or
 * master-key rotation) needs an MFA proof from the last five minutes
 * (`POST /v1/auth/step-up`). The method the session holds goes into the audit context.
 */
import type { Clock } from '../../../core/clock.js';
import type { AccessControl } from '../../../team/access-control.js';
import { gatePersonRequest } from '../../../team/step-up.js';
import type { ActionGate } from '../require-capability/require-capability.js';

export function createStepUpGate(deps: { access: AccessControl; clock: Pick<Clock, 'now'> }): ActionGate {
  return {
    async check(actor, request) {
      const decision = await gatePersonRequest({ accessControl: deps.access, clock: deps.clock }, { user: actor.user, session: actor.session, capability: request.capability, target: request.target });
      if (decision.allowed) return { pass: true, mfa: decision.mfaMethod ?? undefined };
      if (decision.denial === 'forbidden') return { pass: false, status: 403, code: 'forbidden', message: decision.reason };
      return { pass: false, status: 403, code: decision.denial, message: decision.reason, extra: { hint: 'POST /v1/auth/step-up with { "totp": "123456" } or { "webauthn": <assertion> } (or rekey mfa verify), then repeat the call' } };
    },
  };
}
