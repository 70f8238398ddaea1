/**
 * The Anthropic Admin API resources `rekey anthropic …` offers, as data (see
 * admin-resource-spec.ts), as documented: API keys can be listed, read and renamed or
 * deactivated, never created or deleted. Usage, costs and the Claude Code report are
 * reports (anthropic-admin-reports.ts).
 */
import type { ResourceSpec } from './admin-resource-spec.js';

const ORG_ROLES = ['user', 'developer', 'billing', 'admin', 'claude_code_user'] as const;
const WORKSPACE_ROLES = ['workspace_user', 'workspace_developer', 'workspace_admin', 'workspace_billing'] as const;

export const ANTHROPIC_RESOURCES: readonly ResourceSpec[] = [
  {
    noun: 'users',
    summary: 'Organisation members (list, get, change role, remove)',
    path: '/organizations/users',
    columns: ['id', 'email', 'name', 'role', 'added_at'],
    list: { query: [{ flag: 'email', kind: 'string', description: 'only this e-mail address' }] },
    get: true,
    update: [{ flag: 'role', kind: 'string', required: true, choices: ORG_ROLES, description: 'organisation role' }],
    delete: true,
  },
  {
    noun: 'invites',
    summary: 'Invitations to the organisation',
    path: '/organizations/invites',
    columns: ['id', 'email', 'role', 'status', 'invited_at', 'expires_at'],
    list: {},
    get: true,
    create: [
      { flag: 'email', kind: 'string', required: true, description: 'who to invite' },
      { flag: 'role', kind: 'string', required: true, choices: ORG_ROLES, description: 'organisation role' },
    ],
    delete: true,
  },
  {
    noun: 'workspaces',
    summary: 'Workspaces (list, get, create, rename, archive)',
    path: '/organizations/workspaces',
    columns: ['id', 'name', 'created_at', 'archived_at', 'display_color'],
    list: { query: [{ flag: 'include-archived', kind: 'boolean', description: 'list archived workspaces too' }] },
    get: true,
    create: [{ flag: 'name', kind: 'string', required: true, description: 'workspace name' }],
    update: [{ flag: 'name', kind: 'string', required: true, description: 'new name' }],
    actions: [{ verb: 'archive', summary: 'Archive a workspace', suffix: '/archive' }],
  },
  {
    noun: 'workspace-members',
    summary: 'Members of a workspace (every workspace when --workspace is left out)',
    path: '/organizations/workspaces/{scope}/members',
    scope: 'workspace',
    idField: 'user_id',
    columns: ['user_id', 'workspace_id', 'workspace_role'],
    list: {},
    get: true,
    create: [
      { flag: 'user-id', kind: 'string', required: true, description: 'the organisation member to add' },
      { flag: 'workspace-role', kind: 'string', required: true, choices: WORKSPACE_ROLES, description: 'workspace role' },
    ],
    update: [{ flag: 'workspace-role', kind: 'string', required: true, choices: WORKSPACE_ROLES, description: 'workspace role' }],
    delete: true,
  },
  {
    noun: 'keys',
    summary: 'API keys with status and creator, joined with rekey credentials (update: --name, --status)',
    path: '/organizations/api_keys',
    columns: ['id', 'name', 'status', 'partial_key_hint', 'workspace_id', 'created_by.id', 'created_at', 'expires_at'],
    list: {
      query: [
        { flag: 'status', kind: 'string', choices: ['active', 'inactive', 'archived', 'expired'], description: 'only keys in this status' },
        { flag: 'workspace-id', kind: 'string', description: 'only keys of this workspace' },
        { flag: 'created-by-user-id', kind: 'string', description: 'only keys this user created' },
      ],
    },
    get: true,
    update: [
      { flag: 'name', kind: 'string', description: 'new name' },
      { flag: 'status', kind: 'string', choices: ['active', 'inactive', 'archived'], description: 'new status (archived is final)' },
    ],
    joinKeyColumn: 'id',
  },
];
