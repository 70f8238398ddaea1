/**
 * Custom roles and role bindings (built-in roles are fixed; only whether they require MFA
 * changes). Every change is audited. Scopes are validated here: a field is a non-empty glob
 * of printable characters.
 */
import { randomUUID } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { CAPABILITIES, isCapability, SCOPE_FIELDS, type Capability, type Scope, type SubjectKind } from '../core/team-types.js';
import type { RoleBindingRecord, RoleRecord } from '../store/team-store-types.js';
import { describeScope } from './scope-match.js';
import type { TeamDeps } from './team-deps.js';
import { checkGroupName, checkUserName } from './user-service.js';

const ROLE_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const GLOB = /^[\x21-\x7e]{1,200}$/;

export function parseCapabilities(list: readonly string[]): Capability[] {
  if (list.length === 0) throw new UsageError('a role needs at least one capability', { hint: `capabilities: ${CAPABILITIES.join(', ')}` });
  return [...new Set(list)].map((item) => {
    if (!isCapability(item)) throw new UsageError(`unknown capability "${item.slice(0, 60)}"`, { hint: `capabilities: ${CAPABILITIES.join(', ')}` });
    return item;
  });
}

export function parseScope(scope: Record<string, string | undefined>): Scope {
  const parsed: Scope = {};
  for (const [field, value] of Object.entries(scope)) {
    if (value === undefined) continue;
    if (!(SCOPE_FIELDS as readonly string[]).includes(field)) throw new UsageError(`unknown scope field "${field}" (expected ${SCOPE_FIELDS.join(', ')})`);
    if (!GLOB.test(value)) throw new UsageError(`scope ${field} "${value.slice(0, 60)}" must be 1-200 printable characters without spaces`);
    parsed[field as keyof Scope] = value;
  }
  return parsed;
}

/** A built-in role's capabilities come from the code, so its MAC covers only its name and requireMfa. */
export function roleMacFields(role: Pick<RoleRecord, 'name' | 'capabilities' | 'requireMfa'> & { builtin?: boolean | undefined }): Record<string, unknown> {
  if (role.builtin === true) return { name: role.name, builtin: true, requireMfa: role.requireMfa };
  return { name: role.name, capabilities: [...role.capabilities].sort(), requireMfa: role.requireMfa };
}

export function bindingMacFields(binding: Pick<RoleBindingRecord, 'id' | 'role' | 'subjectKind' | 'subject' | 'scope'>): Record<string, unknown> {
  return { id: binding.id, role: binding.role, subjectKind: binding.subjectKind, subject: binding.subject, scope: binding.scope };
}

export interface SaveRoleInput {
  name: string;
  description?: string | undefined;
  capabilities: readonly string[];
  requireMfa: boolean;
}

export async function saveRole(deps: TeamDeps, input: SaveRoleInput): Promise<RoleRecord> {
  if (!ROLE_NAME.test(input.name)) throw new UsageError(`role name "${input.name.slice(0, 60)}" must be 1-48 characters of a-z, 0-9 and -, starting with a letter`);
  const capabilities = parseCapabilities(input.capabilities);
  const existing = await deps.store.getRole(input.name);
  const role = { name: input.name, description: input.description ?? existing?.description ?? '', capabilities, requireMfa: input.requireMfa };
  const builtin = existing?.builtin === true;
  const saved = await deps.store.saveRole({ ...role, mac: deps.integrity?.tag('roles', roleMacFields({ ...role, builtin })) ?? null }, deps.clock.now());
  await deps.audit.record({ event: 'role-save', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { role: saved.name, capabilities: saved.capabilities, requireMfa: saved.requireMfa, created: existing === undefined } });
  return saved;
}

/** Built-in roles keep their capabilities; this switches their MFA requirement (and a custom role's). */
export async function setRoleMfa(deps: TeamDeps, name: string, requireMfa: boolean): Promise<RoleRecord> {
  const role = await deps.store.getRole(name);
  if (role === undefined) throw new UsageError(`no role named ${name}`, { hint: 'rekey role list' });
  const next = { name, description: role.description, capabilities: role.capabilities, requireMfa };
  const saved = await deps.store.saveRole({ ...next, mac: deps.integrity?.tag('roles', roleMacFields({ ...next, builtin: role.builtin })) ?? null }, deps.clock.now());
  await deps.audit.record({ event: 'role-mfa', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { role: name, requireMfa } });
  return saved;
}

export async function removeRole(deps: TeamDeps, name: string): Promise<void> {
  await deps.store.removeRole(name);
  await deps.audit.record({ event: 'role-remove', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { role: name } });
}

export interface BindRoleInput {
  role: string;
  subjectKind: SubjectKind;
  subject: string;
  scope: Scope;
}

export async function bindRole(deps: TeamDeps, input: BindRoleInput): Promise<RoleBindingRecord> {
  const subject = input.subjectKind === 'user' ? checkUserName(input.subject) : checkGroupName(input.subject);
  const scope = parseScope({ ...input.scope });
  const draft = { id: `rb_${randomUUID()}`, role: input.role, subjectKind: input.subjectKind, subject, scope };
  const binding = await deps.store.createRoleBinding({ ...draft, createdAt: deps.clock.now(), createdBy: deps.actor, mac: deps.integrity?.tag('role_bindings', bindingMacFields(draft)) ?? null });
  await deps.audit.record({
    event: 'role-bind', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok',
    detail: { binding: binding.id, role: binding.role, subjectKind: binding.subjectKind, subject: binding.subject, scope: describeScope(binding.scope) },
  });
  return binding;
}

export async function unbindRole(deps: TeamDeps, id: string): Promise<void> {
  await deps.store.removeRoleBinding(id);
  await deps.audit.record({ event: 'role-unbind', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { binding: id } });
}
