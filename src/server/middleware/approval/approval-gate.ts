/**
 * The two-person gate of `requireCapability` (issue 11 item 5). An action an approval
 * policy covers is answered 403 `approval-required` with a new request's id the first
 * time; repeated with `x-rekey-approval: <id>` after another person approved, it runs once,
 * if it is exactly the approved call (operation, target, path, query and body hashed). A
 * misconfigured policy refuses (403 `approval-refused`).
 *
 * The request stores the call's input for the approvers with secret-looking fields (a key
 * value, a password) replaced by their SHA-256, so no key lands in the database; the hash
 * that binds the approval covers the input as sent.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../audit/audit-chain.js';
import { isRekeyError } from '../../../core/errors.js';
import type { ActionTarget } from '../../../core/team-types.js';
import type { Store } from '../../../store/store.js';
import type { AuthorizationTarget } from '../../../team/authorize.js';
import { ApprovalRequiredError, requireApproval } from '../../../team/approval-service.js';
import type { TeamDeps } from '../../../team/team-deps.js';
import type { ActionGate } from '../require-capability/require-capability.js';

const SECRET_FIELD = /value|secret|password|token|key$/i;

/** The input with every string under a secret-looking name replaced by its digest. */
export function redactedInput(input: unknown, name = ''): unknown {
  if (typeof input === 'string') return SECRET_FIELD.test(name) ? `sha256:${createHash('sha256').update(input).digest('hex')}` : input;
  if (Array.isArray(input)) return input.map((item) => redactedInput(item, name));
  if (input !== null && typeof input === 'object') return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, redactedInput(value, key)]));
  return input;
}

async function actionTarget(store: Pick<Store, 'getCredential'>, target: AuthorizationTarget): Promise<ActionTarget> {
  if (target.kind === 'install') return target;
  const credential = await store.getCredential(target.name);
  return { kind: 'credential', credentialId: credential?.id ?? `name:${target.name}`, name: target.name, environment: target.environment, provider: target.provider, ownerTeam: target.ownerTeam };
}

export function createApprovalGate(deps: Omit<TeamDeps, 'actor' | 'audit'>): ActionGate {
  return {
    async check(actor, request) {
      const target = await actionTarget(deps.store, request.target);
      const sent = { operation: request.operation, params: request.input.params ?? null, query: request.input.query ?? null, body: request.input.body ?? null };
      const consumers = target.kind === 'credential' && !target.credentialId.startsWith('name:') ? await deps.store.listConsumers(target.credentialId) : [];
      const plan = {
        operation: request.operation,
        capability: request.capability,
        on: target.kind === 'install' ? 'this install' : target.name,
        input: redactedInput(sent),
        consumers: consumers.map((consumer) => consumer.name),
      };
      try {
        const { approvalId } = await requireApproval(
          { ...deps, audit: actor.audit, actor: actor.name },
          { requester: actor.user.name, capability: request.capability, target, parameters: { sha256: createHash('sha256').update(canonicalJson(sent)).digest('hex'), shown: plan.input }, plan },
          request.approvalId,
        );
        return { pass: true, approval: approvalId ?? undefined };
      } catch (error) {
        if (error instanceof ApprovalRequiredError) {
          return { pass: false, status: 403, code: 'approval-required', message: error.message, extra: { approval: error.requestId, hint: error.hint } };
        }
        if (isRekeyError(error) && error.code === 'policy') return { pass: false, status: 403, code: 'approval-refused', message: error.message };
        throw error;
      }
    },
  };
}
