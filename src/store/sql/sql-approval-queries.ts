/**
 * Approval policies, requests, decisions and link nonces (migration 13) on either dialect;
 * see src/store/approval-store-types.ts for the invariants.
 */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { ActionTarget, Capability, Scope } from '../../core/team-types.js';
import type { ApprovalDecisionRecord, ApprovalPolicyRecord, ApprovalRequestRecord, ApprovalStatus, ApprovalStore } from '../approval-store-types.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toDate, toOptionalDate, type Row } from './sql-rows.js';

const optionalText = (value: unknown) => (value === null || value === undefined ? null : String(value));

function policyFromRow(row: Row): ApprovalPolicyRecord {
  return {
    name: String(row.name),
    capabilities: fromJson<Capability[]>(row.capabilities),
    scope: fromJson<Scope>(row.scope),
    approvalsRequired: Number(row.approvals_required),
    approverRole: optionalText(row.approver_role),
    approverGroup: optionalText(row.approver_group),
    ttlSeconds: Number(row.ttl_seconds),
    createdAt: toDate(row.created_at),
    createdBy: String(row.created_by),
    mac: optionalText(row.mac),
  };
}

function requestFromRow(row: Row): ApprovalRequestRecord {
  return {
    id: String(row.id),
    policy: String(row.policy),
    capability: String(row.capability) as Capability,
    target: fromJson<ActionTarget>(row.target),
    parameters: fromJson<Record<string, unknown>>(row.parameters),
    parametersHash: String(row.parameters_hash),
    plan: fromJson<Record<string, unknown>>(row.plan),
    reason: optionalText(row.reason),
    requester: String(row.requester),
    approvalsRequired: Number(row.approvals_required),
    status: String(row.status) as ApprovalStatus,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    decidedAt: toOptionalDate(row.decided_at),
    executedAt: toOptionalDate(row.executed_at),
    mac: optionalText(row.mac),
  };
}

function decisionFromRow(row: Row): ApprovalDecisionRecord {
  return {
    requestId: String(row.request_id),
    approver: String(row.approver),
    decision: String(row.decision) as ApprovalDecisionRecord['decision'],
    via: String(row.via),
    comment: optionalText(row.comment),
    at: toDate(row.at),
    mac: optionalText(row.mac),
  };
}

export function createApprovalQueries({ database }: SqlStoreContext): ApprovalStore {
  const date = (value: Date) => database.encodeDate(value);
  const json = (value: unknown) => JSON.stringify(value);

  async function requestBy(id: string): Promise<ApprovalRequestRecord | undefined> {
    const rows = await database.query<Row>('SELECT * FROM approval_requests WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : requestFromRow(rows[0]);
  }

  return {
    async saveApprovalPolicy(policy) {
      await database.execute(
        `INSERT INTO approval_policies (name, capabilities, scope, approvals_required, approver_role, approver_group, ttl_seconds, created_at, created_by, mac)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET capabilities = excluded.capabilities, scope = excluded.scope, approvals_required = excluded.approvals_required,
           approver_role = excluded.approver_role, approver_group = excluded.approver_group, ttl_seconds = excluded.ttl_seconds, mac = excluded.mac`,
        [policy.name, json(policy.capabilities), json(policy.scope), policy.approvalsRequired, policy.approverRole, policy.approverGroup, policy.ttlSeconds, date(policy.createdAt), policy.createdBy, policy.mac],
      );
      const rows = await database.query<Row>('SELECT * FROM approval_policies WHERE name = ?', [policy.name]);
      return policyFromRow(rows[0] as Row);
    },
    async listApprovalPolicies() {
      const rows = await database.query<Row>('SELECT * FROM approval_policies ORDER BY name');
      return rows.map(policyFromRow);
    },
    async removeApprovalPolicy(name) {
      const changed = await database.execute('DELETE FROM approval_policies WHERE name = ?', [name]);
      if (changed === 0) throw new NotFoundError(`no approval policy named ${name}`);
    },

    async createApprovalRequest(request) {
      await database.execute(
        `INSERT INTO approval_requests (id, policy, capability, target, parameters, parameters_hash, plan, reason, requester, approvals_required, status, created_at, expires_at, mac)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        [request.id, request.policy, request.capability, json(request.target), json(request.parameters), request.parametersHash, json(request.plan), request.reason, request.requester,
          request.approvalsRequired, date(request.createdAt), date(request.expiresAt), request.mac],
      );
      return (await requestBy(request.id)) as ApprovalRequestRecord;
    },
    getApprovalRequest: requestBy,
    async listApprovalRequests(filter = {}) {
      const rows = filter.status === undefined
        ? await database.query<Row>('SELECT * FROM approval_requests ORDER BY created_at DESC, id')
        : await database.query<Row>('SELECT * FROM approval_requests WHERE status = ? ORDER BY created_at DESC, id', [filter.status]);
      return rows.map(requestFromRow);
    },
    async setApprovalStatus(id, from, to, at) {
      if (from.length === 0) return false;
      const column = to === 'executed' ? 'executed_at' : 'decided_at';
      const changed = await database.execute(
        `UPDATE approval_requests SET status = ?, ${column} = ? WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`,
        [to, date(at), id, ...from],
      );
      return changed > 0;
    },

    async addApprovalDecision(decision) {
      try {
        await database.execute('INSERT INTO approval_decisions (request_id, approver, decision, via, comment, at, mac) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          decision.requestId, decision.approver, decision.decision, decision.via, decision.comment, date(decision.at), decision.mac,
        ]);
      } catch (error) {
        if (error instanceof ConflictError) throw new ConflictError(`${decision.approver} has already decided request ${decision.requestId}`, { cause: error });
        throw error;
      }
    },
    async listApprovalDecisions(requestId) {
      const rows = await database.query<Row>('SELECT * FROM approval_decisions WHERE request_id = ? ORDER BY at, approver', [requestId]);
      return rows.map(decisionFromRow);
    },

    async useApprovalLinkNonce(nonce, requestId, at) {
      const changed = await database.execute('INSERT INTO approval_link_uses (nonce, request_id, used_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING', [nonce, requestId, date(at)]);
      return changed > 0;
    },
  };
}
