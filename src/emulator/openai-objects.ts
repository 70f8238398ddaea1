/** OpenAI object shapes (as in the official OpenAPI schemas) and the operations that mint keys. */
import type { Context } from 'hono';
import { SecretValue } from '../core/secret-value.js';
import { generateKeyValue, redactOpenAI } from './emulator-random.js';
import type { EmulatedKey, EmulatedProject, EmulatedServiceAccount, EmulatedUser, EmulatorState } from './emulator-state.js';
import { optionalInteger, paginate } from './emulator-http.js';

export const seconds = (milliseconds: number) => Math.floor(milliseconds / 1000);
export const secondsOrNull = (milliseconds: number | null) => (milliseconds === null ? null : seconds(milliseconds));

/** `{object:"list", data, first_id, last_id, has_more}` over ordered items, reading `limit`/`after`/`before`. */
export function listEnvelope<T>(context: Context, items: T[], idOf: (item: T) => string, render: (item: T) => unknown, defaultLimit = 20) {
  const limit = optionalInteger(context.req.query('limit'), 'limit', 1, 100) ?? defaultLimit;
  const page = paginate(items, idOf, { limit, after: context.req.query('after'), before: context.req.query('before') });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  return {
    object: 'list',
    data: page.items.map(render),
    first_id: first === undefined ? null : idOf(first),
    last_id: last === undefined ? null : idOf(last),
    has_more: page.hasMore,
  };
}

export function projectObject(project: EmulatedProject) {
  return {
    id: project.id,
    object: 'organization.project',
    name: project.name,
    created_at: seconds(project.createdAt),
    archived_at: secondsOrNull(project.archivedAt),
    status: project.archivedAt === null ? 'active' : 'archived',
    external_key_id: project.externalKeyId,
  };
}

export function serviceAccountObject(account: EmulatedServiceAccount) {
  return { object: 'organization.project.service_account', id: account.id, name: account.name, role: account.role, created_at: seconds(account.createdAt) };
}

export function userObject(user: EmulatedUser) {
  return { object: 'organization.user', id: user.id, name: user.name, email: user.email, role: user.role, added_at: seconds(user.addedAt) };
}

export function ownerUser(state: EmulatorState): EmulatedUser {
  const owner = state.data.users[0];
  if (owner === undefined) throw new Error('emulator state has no owner user');
  return owner;
}

export function projectApiKeyObject(state: EmulatorState, key: EmulatedKey) {
  const account = key.serviceAccountId === null ? undefined : state.data.serviceAccounts.find((candidate) => candidate.id === key.serviceAccountId);
  const user = key.ownerUserId === null ? undefined : state.data.users.find((candidate) => candidate.id === key.ownerUserId);
  const owner =
    account !== undefined
      ? { type: 'service_account', service_account: { id: account.id, name: account.name, created_at: seconds(account.createdAt), role: account.role } }
      : { type: 'user', user: user === undefined ? undefined : { id: user.id, email: user.email, name: user.name, created_at: seconds(user.addedAt), role: 'owner' } };
  return {
    object: 'organization.project.api_key',
    redacted_value: key.redacted,
    name: key.name ?? '',
    created_at: seconds(key.createdAt),
    last_used_at: secondsOrNull(key.lastUsedAt),
    id: key.id,
    owner_project_access: 'active',
    owner,
  };
}

export function adminKeyObject(state: EmulatorState, key: EmulatedKey) {
  const user = state.data.users.find((candidate) => candidate.id === key.ownerUserId) ?? ownerUser(state);
  return {
    object: 'organization.admin_api_key',
    id: key.id,
    name: key.name,
    redacted_value: key.redacted,
    created_at: seconds(key.createdAt),
    expires_at: secondsOrNull(key.expiresAt),
    last_used_at: secondsOrNull(key.lastUsedAt),
    owner: { type: 'user', object: 'organization.user', id: user.id, name: user.name, created_at: seconds(user.addedAt), role: user.role },
  };
}

export function newKeyId(state: EmulatorState): string {
  return `key_${state.ids.alphanumeric(16)}`;
}

/** Mints a service-account key. The value exists only in the returned `SecretValue`. */
export function mintServiceAccountKey(state: EmulatorState, account: EmulatedServiceAccount, name: string, actorKeyId: string | null): { key: EmulatedKey; value: SecretValue } {
  const value = generateKeyValue('openai-service-account');
  const key = state.addKey(
    {
      provider: 'openai',
      id: newKeyId(state),
      kind: 'service_account',
      name,
      redacted: redactOpenAI(value),
      createdAt: state.nowMs(),
      skipActivationDelay: false,
      status: 'active',
      expiresAt: null,
      projectId: account.projectId,
      serviceAccountId: account.id,
      ownerUserId: null,
      workspaceId: null,
      scopes: [],
      openrouter: null,
    },
    value,
  );
  state.audit({ type: 'api_key.created', projectId: account.projectId, actorKeyId, details: { id: key.id, data: { scopes: ['/v1/*'] } } });
  return { key, value: new SecretValue(value) };
}

/** A user-owned project key, as the dashboard would make (the real API cannot). */
export function mintUserProjectKey(state: EmulatorState, project: EmulatedProject, name: string): { key: EmulatedKey; value: SecretValue } {
  const value = generateKeyValue('openai-project');
  const key = state.addKey(
    {
      provider: 'openai',
      id: newKeyId(state),
      kind: 'project',
      name,
      redacted: redactOpenAI(value),
      createdAt: state.nowMs(),
      skipActivationDelay: false,
      status: 'active',
      expiresAt: null,
      projectId: project.id,
      serviceAccountId: null,
      ownerUserId: ownerUser(state).id,
      workspaceId: null,
      scopes: [],
      openrouter: null,
    },
    value,
  );
  state.audit({ type: 'api_key.created', projectId: project.id, actorKeyId: null, details: { id: key.id, data: { scopes: ['/v1/*'] } } });
  return { key, value: new SecretValue(value) };
}

export function createServiceAccount(state: EmulatorState, project: EmulatedProject, name: string, withKey: boolean, actorKeyId: string | null) {
  const account: EmulatedServiceAccount = {
    id: `svc_acct_${state.ids.alphanumeric(24)}`,
    projectId: project.id,
    name,
    role: withKey ? 'member' : 'none',
    createdAt: state.nowMs(),
    deletedAt: null,
  };
  state.data.serviceAccounts.push(account);
  state.audit({ type: 'service_account.created', projectId: project.id, actorKeyId, details: { id: account.id, data: { role: account.role } } });
  const minted = withKey ? mintServiceAccountKey(state, account, 'Secret Key', actorKeyId) : undefined;
  return { account, minted };
}

export function createProject(state: EmulatorState, name: string, actorKeyId: string | null, id?: string): EmulatedProject {
  if (id !== undefined && state.findProject(id) !== undefined) throw new Error(`emulated project ${id} exists already`);
  const project: EmulatedProject = { id: id ?? `proj_${state.ids.alphanumeric(24)}`, name, createdAt: state.nowMs(), archivedAt: null, externalKeyId: null };
  state.data.projects.push(project);
  state.audit({ type: 'project.created', projectId: project.id, actorKeyId, details: { id: project.id, data: { name, title: name } } });
  return project;
}

/** Revokes a key (status `revoked`); it keeps working for the revocation delay. */
export function revokeKey(state: EmulatorState, key: EmulatedKey, actorKeyId: string | null): void {
  if (key.status === 'revoked') return;
  state.setKeyStatus(key, 'revoked');
  state.audit({ type: 'api_key.deleted', projectId: key.projectId, actorKeyId, details: { id: key.id } });
}
