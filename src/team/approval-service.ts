/**
 * Two-person approval (issue 11 item 5). A policy names capabilities, a scope, how many
 * approvers and from which role or group. An action a policy covers becomes a request
 * carrying exactly what will run (its parameters, hashed) and a plan for the approvers; a
 * person who is not the requester approves or denies; the requester then runs exactly the
 * approved action once, before the request's TTL ends.
 *
 * Fail closed: a covering policy that asks for no approvers, names a role that does not
 * exist or a group nobody is in, fails its integrity check, or cannot be met by enough
 * people other than the requester refuses the action instead of letting it through.
 */
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../audit/audit-chain.js';
import { ConflictError, NotFoundError, PolicyError, RekeyError, UsageError } from '../core/errors.js';
import type { ActionTarget, Capability, Scope } from '../core/team-types.js';
import type { ApprovalDecisionKind, ApprovalDecisionRecord, ApprovalPolicyRecord, ApprovalRequestRecord } from '../store/approval-store-types.js';
import type { UserRecord } from '../store/team-store-types.js';
import { createAccessControl } from './access-control.js';
import { parseCapabilities, parseScope } from './role-service.js';
import { describeScope, isUnrestricted, scopeCovers } from './scope-match.js';
import type { TeamDeps } from './team-deps.js';
import { checkGroupName } from './user-service.js';

const POLICY_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 7 * 24 * 3600;
export const MAX_APPROVERS = 10;

/** A covered action was asked for without an approved request: one was created. */
export class ApprovalRequiredError extends RekeyError {
  readonly requestId: string;
  constructor(request: ApprovalRequestRecord) {
    super('policy', `${request.capability} on ${describeTarget(request.target)} needs ${request.approvalsRequired} approval(s) under policy ${request.policy}: request ${request.id} created`, {
      hint: `an approver runs rekey approvals approve ${request.id}; then repeat the action with the approval id ${request.id}`,
    });
    this.requestId = request.id;
  }
}

export function describeTarget(target: ActionTarget): string {
  return target.kind === 'install' ? 'this install' : target.name;
}

export function approvalPolicyMacFields(policy: Omit<ApprovalPolicyRecord, 'createdAt' | 'createdBy' | 'mac'>): Record<string, unknown> {
  return {
    name: policy.name, capabilities: [...policy.capabilities].sort(), scope: policy.scope, approvalsRequired: policy.approvalsRequired,
    approverRole: policy.approverRole, approverGroup: policy.approverGroup, ttlSeconds: policy.ttlSeconds,
  };
}

export function approvalRequestMacFields(request: Pick<ApprovalRequestRecord, 'id' | 'policy' | 'capability' | 'parametersHash' | 'requester' | 'approvalsRequired' | 'expiresAt'>): Record<string, unknown> {
  return { id: request.id, policy: request.policy, capability: request.capability, parametersHash: request.parametersHash, requester: request.requester, approvalsRequired: request.approvalsRequired, expiresAt: request.expiresAt.toISOString() };
}

export function approvalDecisionMacFields(decision: Pick<ApprovalDecisionRecord, 'requestId' | 'approver' | 'decision'>): Record<string, unknown> {
  return { requestId: decision.requestId, approver: decision.approver, decision: decision.decision };
}

export interface SaveApprovalPolicyInput {
  name: string;
  capabilities: readonly string[];
  scope: Record<string, string | undefined>;
  approvals: number;
  approverRole?: string | undefined;
  approverGroup?: string | undefined;
  ttlSeconds: number;
}

export async function saveApprovalPolicy(deps: TeamDeps, input: SaveApprovalPolicyInput): Promise<ApprovalPolicyRecord> {
  if (!POLICY_NAME.test(input.name)) throw new UsageError(`approval policy name "${input.name.slice(0, 60)}" must be 1-48 characters of a-z, 0-9 and -, starting with a letter`);
  const capabilities = parseCapabilities(input.capabilities);
  const scope = parseScope(input.scope);
  if (!Number.isInteger(input.approvals) || input.approvals < 1 || input.approvals > MAX_APPROVERS) {
    throw new UsageError(`--approvals must be a whole number from 1 to ${MAX_APPROVERS}, got ${String(input.approvals)}`, { hint: 'zero approvers would let the action through unapproved; remove the policy instead' });
  }
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < MIN_TTL_SECONDS || input.ttlSeconds > MAX_TTL_SECONDS) {
    throw new UsageError(`--ttl must be between 1m and 7d, got ${String(input.ttlSeconds)} s`);
  }
  const approverRole = input.approverRole ?? null;
  const approverGroup = input.approverGroup === undefined ? null : checkGroupName(input.approverGroup);
  if (approverRole === null && approverGroup === null) throw new UsageError('an approval policy needs --approver-role or --approver-group');
  if (approverRole !== null && (await deps.store.getRole(approverRole)) === undefined) throw new UsageError(`no role named ${approverRole}`, { hint: 'rekey role list' });
  const draft = { name: input.name, capabilities, scope, approvalsRequired: input.approvals, approverRole, approverGroup, ttlSeconds: input.ttlSeconds };
  const saved = await deps.store.saveApprovalPolicy({ ...draft, createdAt: deps.clock.now(), createdBy: deps.actor, mac: deps.integrity?.tag('approval_policies', approvalPolicyMacFields(draft)) ?? null });
  await deps.audit.record({
    event: 'approval-policy-save', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok',
    detail: { policy: saved.name, capabilities, scope: describeScope(scope), approvals: saved.approvalsRequired, approverRole, approverGroup, ttlSeconds: saved.ttlSeconds },
  });
  return saved;
}

export async function removeApprovalPolicy(deps: TeamDeps, name: string): Promise<void> {
  await deps.store.removeApprovalPolicy(name);
  await deps.audit.record({ event: 'approval-policy-remove', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { policy: name } });
}

function covers(policy: ApprovalPolicyRecord, capability: Capability, target: ActionTarget): boolean {
  if (!policy.capabilities.includes(capability)) return false;
  return target.kind === 'install' ? isUnrestricted(policy.scope) : scopeCovers(policy.scope, target);
}

/** Why a covering policy cannot be used, or null when it is sound. */
async function misconfiguration(deps: TeamDeps, policy: ApprovalPolicyRecord): Promise<string | null> {
  if (deps.integrity !== undefined && !deps.integrity.check('approval_policies', approvalPolicyMacFields(policy), policy.mac)) return 'its row fails its integrity check';
  if (!Number.isInteger(policy.approvalsRequired) || policy.approvalsRequired < 1) return `it requires ${policy.approvalsRequired} approvers`;
  if (policy.approverRole === null && policy.approverGroup === null) return 'it names no approver role or group';
  if (policy.approverRole !== null && (await deps.store.getRole(policy.approverRole)) === undefined) return `its approver role ${policy.approverRole} does not exist`;
  if (policy.approverGroup !== null) {
    const members = (await deps.store.listUsers()).filter((user) => user.status === 'active' && user.groups.includes(policy.approverGroup ?? ''));
    if (members.length === 0 && policy.approverRole === null) return `its approver group ${policy.approverGroup} has no active members`;
  }
  return null;
}

/**
 * The policy that governs this action: of those covering it, the one asking for the most
 * approvers. Null when none covers it. A PolicyError when a covering policy is unusable.
 */
export async function governingPolicy(deps: TeamDeps, capability: Capability, target: ActionTarget): Promise<ApprovalPolicyRecord | null> {
  const covering = (await deps.store.listApprovalPolicies()).filter((policy) => covers(policy, capability, target));
  for (const policy of covering) {
    const problem = await misconfiguration(deps, policy);
    if (problem !== null) {
      await deps.audit.record({ event: 'approval-policy-refuse', actor: deps.actor, credential: target.kind === 'credential' ? target.name : null, fingerprint: null, outcome: 'error', detail: { policy: policy.name, capability, problem } });
      throw new PolicyError(`${capability} on ${describeTarget(target)} is refused: approval policy ${policy.name} is misconfigured (${problem})`, { hint: 'fix it with rekey approvals policy add (fail closed: a broken rule refuses, it never allows)' });
    }
  }
  return covering.sort((left, right) => right.approvalsRequired - left.approvalsRequired)[0] ?? null;
}

/** Whether this person may decide requests under the policy for the target. */
async function mayApprove(deps: TeamDeps, policy: ApprovalPolicyRecord, user: UserRecord, target: ActionTarget): Promise<boolean> {
  if (user.status !== 'active') return false;
  const accessControl = createAccessControl(deps);
  if (target.kind === 'credential' && !(await accessControl.check(user, 'approve', target)).allowed) return false;
  if (policy.approverGroup !== null && user.groups.includes(policy.approverGroup)) return true;
  if (policy.approverRole === null) return false;
  const role = policy.approverRole;
  const bindings = await deps.store.listRoleBindings({ role });
  return bindings.some((binding) => {
    const bound = binding.subjectKind === 'user' ? binding.subject === user.name : user.groups.includes(binding.subject);
    const scoped = target.kind === 'install' ? isUnrestricted(binding.scope) : scopeCovers(binding.scope as Scope, target);
    return bound && scoped;
  });
}

export function parametersHash(capability: Capability, target: ActionTarget, parameters: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson({ capability, target, parameters })).digest('hex');
}

export interface ActionRequest {
  /** The person asking (a user name). */
  requester: string;
  capability: Capability;
  target: ActionTarget;
  /** Exactly what will run, e.g. `{ kind: 'emergency' }` for a rotation. */
  parameters: Record<string, unknown>;
  /** What the approvers are shown: the diff or plan. */
  plan: Record<string, unknown>;
  reason?: string | undefined;
}

export async function createApprovalRequest(deps: TeamDeps, policy: ApprovalPolicyRecord, action: ActionRequest): Promise<ApprovalRequestRecord> {
  const eligible = [];
  for (const user of await deps.store.listUsers()) {
    if (user.name !== action.requester && (await mayApprove(deps, policy, user, action.target))) eligible.push(user.name);
  }
  if (eligible.length < policy.approvalsRequired) {
    throw new PolicyError(`${action.capability} on ${describeTarget(action.target)} is refused: policy ${policy.name} needs ${policy.approvalsRequired} approver(s) other than ${action.requester}, and only ${eligible.length} can approve`, {
      hint: policy.approverGroup !== null ? `add people to group ${policy.approverGroup}` : `bind role ${policy.approverRole ?? ''} (with the approve capability) to more people`,
    });
  }
  const now = deps.clock.now();
  const draft = {
    id: `apr_${randomUUID()}`,
    policy: policy.name,
    capability: action.capability,
    target: action.target,
    parameters: action.parameters,
    parametersHash: parametersHash(action.capability, action.target, action.parameters),
    plan: action.plan,
    reason: action.reason ?? null,
    requester: action.requester,
    approvalsRequired: policy.approvalsRequired,
    createdAt: now,
    expiresAt: new Date(now.getTime() + policy.ttlSeconds * 1000),
  };
  const request = await deps.store.createApprovalRequest({ ...draft, mac: deps.integrity?.tag('approval_requests', approvalRequestMacFields(draft)) ?? null });
  await deps.audit.record({
    event: 'approval-request', actor: `user:${action.requester}`, credential: action.target.kind === 'credential' ? action.target.name : null, fingerprint: null, outcome: 'ok',
    detail: { request: request.id, policy: policy.name, capability: action.capability, approvals: policy.approvalsRequired, expiresAt: request.expiresAt.toISOString(), eligibleApprovers: eligible.length },
  });
  return request;
}

async function requireRequest(deps: TeamDeps, id: string): Promise<ApprovalRequestRecord> {
  const request = await deps.store.getApprovalRequest(id);
  if (request === undefined) throw new NotFoundError(`no approval request ${id}`, { hint: 'rekey approvals list' });
  if (deps.integrity !== undefined && !deps.integrity.check('approval_requests', approvalRequestMacFields(request), request.mac)) {
    throw new PolicyError(`approval request ${id} fails its integrity check and is refused`);
  }
  return request;
}

/** Marks a pending request expired when its TTL has passed; true when it is (now) expired. */
async function expireIfDue(deps: TeamDeps, request: ApprovalRequestRecord): Promise<boolean> {
  const now = deps.clock.now();
  if (now.getTime() <= request.expiresAt.getTime()) return false;
  if (await deps.store.setApprovalStatus(request.id, ['pending', 'approved'], 'expired', now)) {
    await deps.audit.record({ event: 'approval-expire', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { request: request.id } });
  }
  return true;
}

export interface DecisionInput {
  requestId: string;
  approver: string;
  decision: ApprovalDecisionKind;
  /** `cli`, `api` or `link`. */
  via: string;
  comment?: string | undefined;
}

export async function decideApproval(deps: TeamDeps, input: DecisionInput): Promise<ApprovalRequestRecord> {
  const request = await requireRequest(deps, input.requestId);
  const refuse = async (message: string): Promise<never> => {
    await deps.audit.record({ event: `approval-${input.decision}`, actor: `user:${input.approver}`, credential: null, fingerprint: null, outcome: 'error', detail: { request: request.id, via: input.via, reason: message } });
    throw new PolicyError(message);
  };
  if (await expireIfDue(deps, request)) return refuse(`approval request ${request.id} expired at ${request.expiresAt.toISOString()}`);
  if (request.status !== 'pending') return refuse(`approval request ${request.id} is ${request.status}, not pending`);
  if (input.approver === request.requester) return refuse(`${input.approver} asked for request ${request.id} and cannot approve or deny it; another person must`);
  const policy = (await deps.store.listApprovalPolicies()).find((candidate) => candidate.name === request.policy);
  const approver = await deps.store.getUser(input.approver);
  if (policy === undefined || (await misconfiguration(deps, policy)) !== null) return refuse(`approval policy ${request.policy} is gone or misconfigured; request ${request.id} cannot be decided`);
  if (approver === undefined || !(await mayApprove(deps, policy, approver, request.target))) {
    return refuse(`${input.approver} may not decide request ${request.id} (policy ${policy.name} wants ${policy.approverGroup !== null ? `group ${policy.approverGroup}` : `role ${policy.approverRole ?? ''}`} with the approve capability)`);
  }
  const at = deps.clock.now();
  try {
    const decided = { requestId: request.id, approver: input.approver, decision: input.decision };
    await deps.store.addApprovalDecision({ ...decided, via: input.via, comment: input.comment ?? null, at, mac: deps.integrity?.tag('approval_decisions', approvalDecisionMacFields(decided)) ?? null });
  } catch (error) {
    if (error instanceof ConflictError) return refuse(`${input.approver} has already decided request ${request.id}`);
    throw error;
  }
  if (input.decision === 'deny') {
    await deps.store.setApprovalStatus(request.id, ['pending'], 'denied', at);
  } else {
    const approvals = (await deps.store.listApprovalDecisions(request.id)).filter((decision) => decision.decision === 'approve').length;
    if (approvals >= request.approvalsRequired) await deps.store.setApprovalStatus(request.id, ['pending'], 'approved', at);
  }
  const updated = await requireRequest(deps, request.id);
  await deps.audit.record({
    event: `approval-${input.decision}`, actor: `user:${input.approver}`, credential: request.target.kind === 'credential' ? request.target.name : null, fingerprint: null, outcome: 'ok',
    detail: { request: request.id, via: input.via, status: updated.status, requester: request.requester },
  });
  return updated;
}

/** Distinct people other than the requester whose approve decision is intact. */
async function validApprovers(deps: TeamDeps, request: ApprovalRequestRecord): Promise<string[]> {
  const decisions = await deps.store.listApprovalDecisions(request.id);
  const intact = decisions.filter((decision) => decision.decision === 'approve' && decision.approver !== request.requester
    && (deps.integrity === undefined || deps.integrity.check('approval_decisions', approvalDecisionMacFields(decision), decision.mac)));
  return [...new Set(intact.map((decision) => decision.approver))];
}

/**
 * Spends an approved request on the action now being run: same requester, capability,
 * target and parameters as approved, not expired, not used before. Returns the request.
 */
export async function consumeApproval(deps: TeamDeps, requestId: string, action: Omit<ActionRequest, 'plan' | 'reason'>): Promise<ApprovalRequestRecord> {
  const request = await requireRequest(deps, requestId);
  const refuse = async (message: string): Promise<never> => {
    await deps.audit.record({ event: 'approval-execute', actor: `user:${action.requester}`, credential: null, fingerprint: null, outcome: 'error', detail: { request: request.id, reason: message } });
    throw new PolicyError(message);
  };
  if (await expireIfDue(deps, request)) return refuse(`approval request ${request.id} expired at ${request.expiresAt.toISOString()}`);
  if (request.requester !== action.requester) return refuse(`approval request ${request.id} was made by ${request.requester}, not ${action.requester}`);
  if (request.capability !== action.capability) return refuse(`approval request ${request.id} approves ${request.capability}, not ${action.capability}`);
  if (request.parametersHash !== parametersHash(action.capability, action.target, action.parameters)) {
    return refuse(`the action differs from what request ${request.id} approved (target or parameters changed); make a new request`);
  }
  if (request.status !== 'approved') return refuse(`approval request ${request.id} is ${request.status}, not approved`);
  // The status alone is not trusted (a row can be edited): count the decisions behind it.
  const approvers = await validApprovers(deps, request);
  if (approvers.length < request.approvalsRequired) return refuse(`approval request ${request.id} is marked approved but carries ${approvers.length} valid approval(s) of ${request.approvalsRequired}`);
  if (!(await deps.store.setApprovalStatus(request.id, ['approved'], 'executed', deps.clock.now()))) return refuse(`approval request ${request.id} was used already`);
  await deps.audit.record({
    event: 'approval-execute', actor: `user:${action.requester}`, credential: request.target.kind === 'credential' ? request.target.name : null, fingerprint: null, outcome: 'ok',
    detail: { request: request.id, capability: request.capability, approvers },
  });
  return request;
}

/**
 * The approval step of an action: nothing when no policy covers it; with `approvalId`, the
 * approved request is spent; without one, a request is created and ApprovalRequiredError
 * thrown (the caller answers 403 with the request id).
 */
export async function requireApproval(deps: TeamDeps, action: ActionRequest, approvalId?: string | undefined): Promise<{ approvalId: string | null }> {
  const policy = await governingPolicy(deps, action.capability, action.target);
  if (policy === null) return { approvalId: null };
  if (approvalId !== undefined) return { approvalId: (await consumeApproval(deps, approvalId, action)).id };
  throw new ApprovalRequiredError(await createApprovalRequest(deps, policy, action));
}
