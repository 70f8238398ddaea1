/**
 * `rekey doctor` for the team's rows: which rows that grant power fail their MAC, and
 * sealing them all when an install from before issue 11 is upgraded. One list,
 * `TEAM_SEALED_ROWS`, says for each sealed table how to read its rows and which fields its
 * MAC covers; inspecting and sealing walk that list, so a table added to it (passkeys, say)
 * is listed by doctor and sealed on upgrade with nothing else to change. Built-in roles are
 * sealed too: only their `requireMfa` lives in the table, and turning it off by SQL would
 * drop an MFA requirement.
 */
import type { SealedRowKey, SealedTable, Store } from '../store/store.js';
import { approvalDecisionMacFields, approvalPolicyMacFields, approvalRequestMacFields } from './approval-service.js';
import { bindingMacFields, roleMacFields } from './role-service.js';
import { sessionMacFields } from './session-integrity.js';
import type { RowIntegrity } from './team-deps.js';
import { userMacFields } from './user-service.js';
import { passkeyMacFields } from './webauthn-service.js';
import { workloadIdentityMacFields } from './workload-identity.js';

type TeamRowStore = Pick<
  Store,
  'listUsers' | 'listRoles' | 'listRoleBindings' | 'listApprovalPolicies' | 'listApprovalRequests' | 'listApprovalDecisions' | 'listWorkloadIdentities' | 'listSessions' | 'findSession' | 'listPasskeys' | 'setRowMac'
>;

/** One stored row as its MAC sees it: its key, how doctor names it, the fields the MAC covers and the MAC stored. */
export interface SealedRow {
  key: SealedRowKey;
  label: string;
  fields: Record<string, unknown>;
  mac: string | null;
}

export interface SealedRowKind {
  table: SealedTable;
  rows(store: TeamRowStore): Promise<SealedRow[]>;
}

export const TEAM_SEALED_ROWS: readonly SealedRowKind[] = [
  { table: 'users', rows: async (store) => (await store.listUsers()).map((user) => ({ key: user.id, label: `${user.id} (${user.name})`, fields: userMacFields(user), mac: user.mac })) },
  { table: 'roles', rows: async (store) => (await store.listRoles()).map((role) => ({ key: role.name, label: role.name, fields: roleMacFields(role), mac: role.mac })) },
  { table: 'role_bindings', rows: async (store) => (await store.listRoleBindings()).map((binding) => ({ key: binding.id, label: binding.id, fields: bindingMacFields(binding), mac: binding.mac })) },
  {
    table: 'approval_policies',
    rows: async (store) => (await store.listApprovalPolicies()).map((policy) => ({ key: policy.name, label: policy.name, fields: approvalPolicyMacFields(policy), mac: policy.mac })),
  },
  {
    table: 'approval_requests',
    rows: async (store) => (await store.listApprovalRequests()).map((request) => ({ key: request.id, label: request.id, fields: approvalRequestMacFields(request), mac: request.mac })),
  },
  {
    table: 'approval_decisions',
    async rows(store) {
      const rows: SealedRow[] = [];
      for (const request of await store.listApprovalRequests()) {
        for (const decision of await store.listApprovalDecisions(request.id)) {
          rows.push({ key: [decision.requestId, decision.approver], label: `${decision.requestId} ${decision.approver}`, fields: approvalDecisionMacFields(decision), mac: decision.mac });
        }
      }
      return rows;
    },
  },
  {
    table: 'workload_identities',
    rows: async (store) => (await store.listWorkloadIdentities()).map((identity) => ({ key: identity.name, label: identity.name, fields: workloadIdentityMacFields(identity), mac: identity.mac })),
  },
  {
    table: 'webauthn_credentials',
    async rows(store) {
      const rows: SealedRow[] = [];
      for (const user of await store.listUsers()) {
        for (const passkey of await store.listPasskeys(user.id)) {
          rows.push({ key: passkey.id, label: `${passkey.id} (passkey of ${user.name})`, fields: passkeyMacFields(passkey), mac: passkey.mac });
        }
      }
      return rows;
    },
  },
  {
    table: 'sessions',
    async rows(store) {
      const rows: SealedRow[] = [];
      for (const listed of await store.listSessions()) {
        const found = await store.findSession(listed.id);
        if (found !== undefined) rows.push({ key: listed.id, label: `${listed.id} (user ${listed.userId})`, fields: sessionMacFields(found.session, found.tokenHash), mac: found.session.mac });
      }
      return rows;
    },
  },
];

export async function inspectTeamRows(store: TeamRowStore, integrity: RowIntegrity, kinds: readonly SealedRowKind[] = TEAM_SEALED_ROWS): Promise<Array<{ table: SealedTable; row: string }>> {
  const tampered: Array<{ table: SealedTable; row: string }> = [];
  for (const kind of kinds) {
    for (const row of await kind.rows(store)) if (!integrity.check(kind.table, row.fields, row.mac)) tampered.push({ table: kind.table, row: row.label });
  }
  return tampered;
}

export async function sealTeamRows(store: TeamRowStore, integrity: RowIntegrity, kinds: readonly SealedRowKind[] = TEAM_SEALED_ROWS): Promise<Partial<Record<SealedTable, number>>> {
  const counts: Partial<Record<SealedTable, number>> = {};
  for (const kind of kinds) {
    const rows = await kind.rows(store);
    for (const row of rows) await store.setRowMac(kind.table, row.key, integrity.tag(kind.table, row.fields));
    counts[kind.table] = rows.length;
  }
  return counts;
}
