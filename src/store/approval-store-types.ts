/**
 * The approval part of the Store contract (issue 11, migration 13): two-person policies,
 * requests, decisions and the nonces of used one-time links. The store keeps rows;
 * `src/team/approval-service.ts` owns what they mean.
 *
 * Invariants both dialects enforce:
 * - one decision per approver per request (a second is a ConflictError);
 * - a request's status moves only by compare-and-set (`setApprovalStatus` from given states),
 *   so two approvers racing, or an approval racing its expiry, leave one outcome;
 * - a link nonce is used at most once (`useApprovalLinkNonce` is insert-or-refuse).
 */
import type { ActionTarget, Capability, Scope } from '../core/team-types.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'executed';
export type ApprovalDecisionKind = 'approve' | 'deny';

export interface ApprovalPolicyRecord {
  name: string;
  capabilities: Capability[];
  scope: Scope;
  approvalsRequired: number;
  /** Approvers hold this role (directly or through a group) on the target… */
  approverRole: string | null;
  /** …or belong to this group. At least one of the two is set. */
  approverGroup: string | null;
  ttlSeconds: number;
  createdAt: Date;
  createdBy: string;
  mac: string | null;
}

export interface ApprovalRequestRecord {
  id: string;
  policy: string;
  capability: Capability;
  target: ActionTarget;
  /** Exactly what will run; `parametersHash` binds the approval to it. */
  parameters: Record<string, unknown>;
  parametersHash: string;
  /** The diff or plan shown to approvers. */
  plan: Record<string, unknown>;
  reason: string | null;
  requester: string;
  approvalsRequired: number;
  status: ApprovalStatus;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  executedAt: Date | null;
  mac: string | null;
}

export interface ApprovalDecisionRecord {
  requestId: string;
  approver: string;
  decision: ApprovalDecisionKind;
  /** `cli`, `api` or `link`. */
  via: string;
  comment: string | null;
  at: Date;
  mac: string | null;
}

export interface ApprovalStore {
  /** Creates or replaces the policy of that name. */
  saveApprovalPolicy(policy: ApprovalPolicyRecord): Promise<ApprovalPolicyRecord>;
  listApprovalPolicies(): Promise<ApprovalPolicyRecord[]>;
  /** NotFoundError when absent. */
  removeApprovalPolicy(name: string): Promise<void>;

  createApprovalRequest(request: Omit<ApprovalRequestRecord, 'status' | 'decidedAt' | 'executedAt'>): Promise<ApprovalRequestRecord>;
  getApprovalRequest(id: string): Promise<ApprovalRequestRecord | undefined>;
  /** Newest first. */
  listApprovalRequests(filter?: { status?: ApprovalStatus }): Promise<ApprovalRequestRecord[]>;
  /** Moves the request to `to` only if it is in one of `from`; false otherwise. Sets decided_at (approved, denied, expired) or executed_at. */
  setApprovalStatus(id: string, from: readonly ApprovalStatus[], to: ApprovalStatus, at: Date): Promise<boolean>;

  /** ConflictError when this approver already decided this request. */
  addApprovalDecision(decision: ApprovalDecisionRecord): Promise<void>;
  listApprovalDecisions(requestId: string): Promise<ApprovalDecisionRecord[]>;

  /** Records a one-time link's nonce; false when it was used before. */
  useApprovalLinkNonce(nonce: string, requestId: string, at: Date): Promise<boolean>;
}
