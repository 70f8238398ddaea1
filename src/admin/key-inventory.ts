/**
 * The organisation-wide key inventory: every key at each configured provider, read from the
 * Admin APIs, and classified against what rekey knows.
 *
 * - `managed`: a version of a rekey credential holds this provider key id (with its stage);
 *   `unmanaged`: nobody registered it (a shadow key);
 * - findings, any number of them: `stale` (no use for `staleDays` by `last_used_at`, or
 *   never used and older than that), `owner-gone` (its user is no longer in the
 *   organisation), `over-scoped` (an OpenAI service account with the project owner role,
 *   an Anthropic key scoped to the whole organisation although its credential names a
 *   workspace, or a key outside the project/workspace its credential names), `naming`
 *   (outside the naming policy).
 *
 * Keys stream from the provider; only the user ids (for owner-gone) are held.
 */
import type { AdminClient } from './admin-client.js';
import type { Row } from './admin-query.js';
import { findJoin, type KeyJoins } from './credential-join.js';

export interface ProviderKey {
  provider: 'openai' | 'anthropic';
  id: string;
  name: string;
  /** Project (OpenAI) or workspace (Anthropic) id; null for the Anthropic default workspace. */
  scopeId: string | null;
  ownerType: 'user' | 'service_account' | null;
  ownerId: string | null;
  /** The user's e-mail or the service account's name. */
  ownerLabel: string | null;
  /** OpenAI service accounts: `owner` or `member`. */
  ownerRole: string | null;
  createdAtMs: number | null;
  lastUsedAtMs: number | null;
  status: string;
  redacted: string | null;
}

export interface InventoryPolicy {
  staleDays: number;
  naming: RegExp;
  nowMs: number;
}

export const DEFAULT_NAMING = /^[a-z0-9]+(-[a-z0-9]+)*-(prod|production|staging|stage|dev|test|ci)$/;

export const INVENTORY_COLUMNS = ['provider', 'key_id', 'name', 'scope_id', 'owner', 'created_at', 'last_used_at', 'management', 'stage', 'credential', 'findings'] as const;

export const INVENTORY_FINDINGS = ['stale', 'owner-gone', 'over-scoped', 'naming'] as const;
export type InventoryFinding = (typeof INVENTORY_FINDINGS)[number];

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {});
const text = (value: unknown) => (typeof value === 'string' ? value : null);
const seconds = (value: unknown) => (typeof value === 'number' ? value * 1000 : null);
const iso = (value: unknown) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? Date.parse(value) : null);
const isoOrNull = (milliseconds: number | null) => (milliseconds === null ? null : new Date(milliseconds).toISOString().replace('.000Z', 'Z'));

/** Every project key of every project. */
export async function* openaiProviderKeys(client: AdminClient): AsyncGenerator<ProviderKey> {
  for await (const project of client.list({ operation: 'list projects', path: '/organization/projects' })) {
    const projectId = String(project['id']);
    for await (const key of client.list({ operation: 'list project API keys', path: `/organization/projects/${encodeURIComponent(projectId)}/api_keys` })) {
      const owner = record(key['owner']);
      const user = record(owner['user']);
      const account = record(owner['service_account']);
      const isAccount = owner['type'] === 'service_account';
      yield {
        provider: 'openai',
        id: String(key['id']),
        name: text(key['name']) ?? '',
        scopeId: projectId,
        ownerType: isAccount ? 'service_account' : owner['type'] === 'user' ? 'user' : null,
        ownerId: text(isAccount ? account['id'] : user['id']),
        ownerLabel: text(isAccount ? account['name'] : (user['email'] ?? user['id'])),
        ownerRole: isAccount ? text(account['role']) : null,
        createdAtMs: seconds(key['created_at']),
        lastUsedAtMs: seconds(key['last_used_at']),
        status: 'active',
        redacted: text(key['redacted_value']),
      };
    }
  }
}

export async function* anthropicProviderKeys(client: AdminClient): AsyncGenerator<ProviderKey> {
  for await (const key of client.list({ operation: 'list API keys', path: '/organizations/api_keys' }, 1000)) {
    const creator = record(key['created_by']);
    const scope = record(key['scope']);
    yield {
      provider: 'anthropic',
      id: String(key['id']),
      name: text(key['name']) ?? '',
      scopeId: text(key['workspace_id']) ?? text(scope['workspace_id']),
      ownerType: creator['type'] === 'service_account' ? 'service_account' : creator['type'] === 'user' ? 'user' : null,
      ownerId: text(creator['id']),
      ownerLabel: text(creator['id']),
      ownerRole: null,
      createdAtMs: iso(key['created_at']),
      // The Anthropic key object has no last use; the messages usage report would be the source.
      lastUsedAtMs: null,
      status: text(key['status']) ?? 'active',
      redacted: text(key['partial_key_hint']),
    };
  }
}

/** The people in the organisation, id → e-mail, for owner-gone and owner names. */
export async function organisationMembers(client: AdminClient): Promise<Map<string, string | null>> {
  const members = new Map<string, string | null>();
  const path = client.vendor === 'openai' ? '/organization/users' : '/organizations/users';
  for await (const user of client.list({ operation: 'list users', path })) {
    if (typeof user['id'] === 'string') members.set(user['id'], typeof user['email'] === 'string' ? user['email'] : null);
  }
  return members;
}

export function keyFindings(key: ProviderKey, context: { joins: KeyJoins; members: ReadonlyMap<string, string | null>; policy: InventoryPolicy }): InventoryFinding[] {
  const { policy } = context;
  const findings: InventoryFinding[] = [];
  const staleBefore = policy.nowMs - policy.staleDays * 86_400_000;
  const lastSign = key.lastUsedAtMs ?? (key.provider === 'openai' ? key.createdAtMs : null);
  if (lastSign !== null && lastSign < staleBefore) findings.push('stale');
  if (key.ownerType === 'user' && key.ownerId !== null && !context.members.has(key.ownerId)) findings.push('owner-gone');
  const join = findJoin(context.joins, key.provider, key.id);
  const wantedScope = join === undefined ? undefined : key.provider === 'openai' ? join.scope['project'] : join.scope['workspace'];
  const overScoped =
    (key.ownerType === 'service_account' && key.ownerRole === 'owner') ||
    (key.provider === 'anthropic' && key.scopeId === null && wantedScope !== undefined) ||
    (wantedScope !== undefined && key.scopeId !== null && wantedScope !== key.scopeId);
  if (overScoped) findings.push('over-scoped');
  if (!policy.naming.test(key.name)) findings.push('naming');
  return findings;
}

export function inventoryRow(key: ProviderKey, context: { joins: KeyJoins; members: ReadonlyMap<string, string | null>; policy: InventoryPolicy }): Row {
  const join = findJoin(context.joins, key.provider, key.id);
  return {
    provider: key.provider,
    key_id: key.id,
    name: key.name,
    scope_id: key.scopeId,
    // Anthropic keys name their creator by id only: show the member's e-mail when there is one.
    owner: key.provider === 'anthropic' && key.ownerId !== null ? (context.members.get(key.ownerId) ?? key.ownerLabel) : key.ownerLabel,
    created_at: isoOrNull(key.createdAtMs),
    last_used_at: isoOrNull(key.lastUsedAtMs),
    management: join === undefined ? 'unmanaged' : 'managed',
    stage: join?.stage ?? null,
    credential: join?.credential ?? null,
    findings: keyFindings(key, context).join(';'),
  };
}

/**
 * Whether a value is the key the provider shows: OpenAI `sk-proj-...abcd` and Anthropic
 * `sk-ant-api03-R2D...igAA` keep the start and the last four characters.
 */
export function valueMatchesHint(value: string, hint: string | null): boolean {
  if (hint === null) return false;
  const match = /^(.*?)\.\.\.(.+)$/.exec(hint);
  if (match === null) return false;
  return value.startsWith(match[1] ?? '') && value.endsWith(match[2] ?? '') && value.length > hint.length - 3;
}

/** Anthropic keys carry no last use: the latest day each key has messages usage in the window. */
export async function anthropicLastUse(client: AdminClient, range: { startMs: number; endMs: number }): Promise<Map<string, number>> {
  const { ANTHROPIC_USAGE, reportRows } = await import('./admin-reports.js');
  const last = new Map<string, number>();
  for await (const row of reportRows(client, ANTHROPIC_USAGE, { range, bucket: '1d', apiGroupBy: ['api_key_id'] })) {
    const id = row['api_key_id'];
    const at = typeof row['start'] === 'string' ? Date.parse(row['start']) : Number.NaN;
    const used = Number(row['uncached_input_tokens'] ?? 0) + Number(row['output_tokens'] ?? 0) > 0;
    if (typeof id === 'string' && used && !Number.isNaN(at) && at > (last.get(id) ?? 0)) last.set(id, at);
  }
  return last;
}

/** The Admin API call that kills a key: OpenAI user keys are deleted, service-account keys go with their account, Anthropic keys are archived. */
export function revokeCallFor(key: ProviderKey): { operation: string; method: 'POST' | 'DELETE'; path: string; body?: unknown; what: string } {
  const project = encodeURIComponent(key.scopeId ?? '');
  if (key.provider === 'anthropic') {
    return { operation: 'archive API key', method: 'POST', path: `/organizations/api_keys/${encodeURIComponent(key.id)}`, body: { status: 'archived' }, what: `archive Anthropic key ${key.id} (${key.name}); archived keys cannot be reactivated` };
  }
  if (key.ownerType === 'service_account') {
    return { operation: 'delete service account', method: 'DELETE', path: `/organization/projects/${project}/service_accounts/${encodeURIComponent(key.ownerId ?? '')}`, what: `delete service account ${key.ownerLabel ?? key.ownerId} and its key ${key.id} (${key.name})` };
  }
  return { operation: 'delete project API key', method: 'DELETE', path: `/organization/projects/${project}/api_keys/${encodeURIComponent(key.id)}`, what: `delete OpenAI key ${key.id} (${key.name}, owner ${key.ownerLabel ?? 'unknown'})` };
}
