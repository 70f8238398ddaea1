/**
 * The offboarding plan: everything a departing person could have seen or used, and what
 * to do about each, as data to review before anything changes.
 *
 * - provider keys they own: managed ones rotate their credential, unmanaged ones are
 *   deleted at the provider;
 * - credentials whose values they revealed (the audit log's `credential-reveal` events by
 *   one of their actor names) rotate;
 * - credentials in the scopes of their role bindings (directly or through a group) whose
 *   role could reveal a value rotate;
 * - access tokens they created are revoked;
 * - their accounts are removed: provider organisation memberships, the rekey team user.
 *
 * A credential reached for several reasons appears once with every reason. The plan's id
 * is a hash of its items, so an execution can insist on running exactly what was reviewed.
 */
import { createHash } from 'node:crypto';
import type { AccessToken, AuditEvent, Credential } from '../core/types.js';
import type { RoleBindingRecord, RoleRecord, UserRecord } from '../store/team-store-types.js';
import { scopeCovers } from '../team/scope-match.js';
import type { Row } from './admin-query.js';
import { findJoin, type KeyJoins } from './credential-join.js';
import type { ProviderKey } from './key-inventory.js';

export type OffboardAction = 'rotate' | 'delete-key' | 'revoke-token' | 'remove-member' | 'disable-user';

export interface OffboardItem {
  action: OffboardAction;
  /** Credential name, provider key id, token name, `openai:<user id>`, team user name. */
  target: string;
  provider: string | null;
  /** Why it is in the plan, `;`-separated. */
  reasons: string[];
  /** For delete-key: what the provider needs to find it. */
  key?: ProviderKey;
}

export interface OffboardInputs {
  /** The e-mail or provider user id given on the command line. */
  person: string;
  /** Provider members matched by id or e-mail: vendor → user id, e-mail. */
  members: Array<{ provider: 'openai' | 'anthropic'; id: string; email: string | null }>;
  /** Every key at the providers (only theirs are used). */
  keys: readonly ProviderKey[];
  joins: KeyJoins;
  credentials: readonly Credential[];
  audit: readonly AuditEvent[];
  teamUser: UserRecord | undefined;
  roles: readonly RoleRecord[];
  bindings: readonly RoleBindingRecord[];
  tokens: readonly AccessToken[];
  /** Further actor names that are this person (e.g. `cli:bob`). */
  extraActors: readonly string[];
}

export const OFFBOARD_COLUMNS = ['action', 'target', 'provider', 'reasons'] as const;

export function buildOffboardPlan(inputs: OffboardInputs): { id: string; items: OffboardItem[] } {
  const items = new Map<string, OffboardItem>();
  const add = (item: Omit<OffboardItem, 'reasons'>, reason: string) => {
    const key = `${item.action}:${item.provider ?? ''}:${item.target}`;
    const existing = items.get(key);
    if (existing === undefined) items.set(key, { ...item, reasons: [reason] });
    else if (!existing.reasons.includes(reason)) existing.reasons.push(reason);
  };
  const ownerIds = new Set(inputs.members.map((member) => member.id));
  const emails = new Set([inputs.person, ...inputs.members.flatMap((member) => (member.email === null ? [] : [member.email]))]);

  for (const key of inputs.keys) {
    const theirs = key.ownerType === 'user' && ((key.ownerId !== null && (ownerIds.has(key.ownerId) || key.ownerId === inputs.person)) || (key.ownerLabel !== null && emails.has(key.ownerLabel)));
    if (!theirs) continue;
    const join = findJoin(inputs.joins, key.provider, key.id);
    if (join !== undefined) add({ action: 'rotate', target: join.credential, provider: key.provider }, `owns its provider key ${key.id}`);
    else add({ action: 'delete-key', target: key.id, provider: key.provider, key }, `owns unmanaged key ${key.name}`);
  }

  const actors = new Set([...inputs.extraActors, ...(inputs.teamUser === undefined ? [] : [`user:${inputs.teamUser.name}`]), ...[...emails].map((email) => `user:${email}`)]);
  const credentialByName = new Map(inputs.credentials.map((credential) => [credential.name, credential]));
  for (const event of inputs.audit) {
    if (event.event !== 'credential-reveal' || event.outcome !== 'ok' || event.credential === null || !actors.has(event.actor)) continue;
    const credential = credentialByName.get(event.credential);
    if (credential !== undefined) add({ action: 'rotate', target: credential.name, provider: credential.provider }, `revealed its value (audit event ${event.seq})`);
  }

  if (inputs.teamUser !== undefined) {
    const user = inputs.teamUser;
    const revealing = new Set(inputs.roles.filter((role) => role.capabilities.includes('reveal')).map((role) => role.name));
    const theirBindings = inputs.bindings.filter((binding) => (binding.subjectKind === 'user' ? binding.subject === user.name : user.groups.includes(binding.subject)) && revealing.has(binding.role));
    for (const credential of inputs.credentials) {
      const target = { name: credential.name, environment: credential.environment, provider: credential.provider, ownerTeam: credential.tags['team'] ?? null };
      for (const binding of theirBindings) {
        if (scopeCovers(binding.scope, target)) add({ action: 'rotate', target: credential.name, provider: credential.provider }, `in the scope of role ${binding.role}${binding.subjectKind === 'group' ? ` (group ${binding.subject})` : ''}`);
      }
    }
    for (const token of inputs.tokens) {
      if (token.revokedAt === null && actors.has(token.createdBy)) add({ action: 'revoke-token', target: token.name, provider: null }, `created ${token.kind} token ${token.id}`);
    }
    add({ action: 'disable-user', target: user.name, provider: 'rekey' }, 'their rekey account');
  } else {
    for (const token of inputs.tokens) if (token.revokedAt === null && actors.has(token.createdBy)) add({ action: 'revoke-token', target: token.name, provider: null }, `created ${token.kind} token ${token.id}`);
  }
  for (const member of inputs.members) add({ action: 'remove-member', target: member.id, provider: member.provider }, `member of the ${member.provider} organisation${member.email === null ? '' : ` as ${member.email}`}`);

  const order: OffboardAction[] = ['rotate', 'delete-key', 'revoke-token', 'remove-member', 'disable-user'];
  const sorted = [...items.values()].sort((left, right) => order.indexOf(left.action) - order.indexOf(right.action) || left.target.localeCompare(right.target));
  const id = createHash('sha256').update(JSON.stringify(sorted.map((item) => [item.action, item.provider, item.target]))).digest('hex').slice(0, 12);
  return { id, items: sorted };
}

export function offboardRow(item: OffboardItem): Row {
  return { action: item.action, target: item.target, provider: item.provider, reasons: item.reasons.join('; ') };
}
