/**
 * A seeded organisation for `rekey openai …`, `rekey anthropic …`, `inventory` and
 * `offboard`: projects, people (one of them already removed), service accounts, keys whose
 * `last_used_at` ranges from an hour to 120 days ago, a shadow key, usage of every kind
 * and costs over weeks in hourly records, invites, a spend alert, Anthropic workspaces with
 * members, keys, messages usage and Claude Code days. Everything is drawn from its own
 * seeded PRNG, so the same seed and clock give the same organisation; key values still come
 * from the CSPRNG and exist only in the returned `SecretValue`s.
 *
 * `bulkKeys` adds that many plain user keys to a "bulk" project (the 10,000-key pagination
 * measure); `days` sets how far back hourly usage goes (90 for the 90-day measure).
 */
import { SecretValue } from '../core/secret-value.js';
import { createSeededRandom, generateKeyValue, redactOpenAI, type SeededRandom } from './emulator-random.js';
import type { EmulatedKey, EmulatedUsageKind, EmulatedUser, EmulatorState } from './emulator-state.js';
import { anthropicOrganization } from './anthropic-org-routes.js';
import { createAnthropicApiKey } from './anthropic-routes.js';
import { createProject, createServiceAccount, newKeyId, ownerUser } from './openai-objects.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface SeedOrganizationOptions {
  /** Seed of the organisation's own PRNG (default 7). */
  seed?: number | undefined;
  /** Days of hourly usage (default 35). */
  days?: number | undefined;
  /** Extra user keys in a "bulk" project (default 0). */
  bulkKeys?: number | undefined;
}

export interface SeededKey {
  id: string;
  projectId: string | null;
  workspaceId: string | null;
  value: SecretValue;
}

export interface SeededOrganization {
  openai: {
    projects: Record<string, string>;
    /** Name → user id (`dave` has been removed from the organisation). */
    users: Record<string, { id: string; email: string }>;
    /** Key name → key (names: ticketing-prod, search-prod, analytics-batch, alice-laptop, dave-notebook, legacy-export, tmp-debug). */
    keys: Record<string, SeededKey>;
  };
  anthropic: {
    workspaces: Record<string, string>;
    users: Record<string, { id: string; email: string }>;
    keys: Record<string, SeededKey>;
  };
}

interface OpenAIKeyPlan {
  name: string;
  project: string;
  owner: string | 'service-account';
  ageDays: number;
  /** Hours since last use; null: never used. */
  lastUsedHoursAgo: number | null;
  /** Requests per hour it makes (0: no usage records). */
  hourlyRequests: number;
  models: string[];
}

const OPENAI_PEOPLE: Array<[string, string, EmulatedUser['role']]> = [
  ['alice', 'Alice Martin', 'owner'],
  ['bob', 'Bob Chen', 'reader'],
  ['carol', 'Carol Diaz', 'reader'],
  ['dave', 'Dave Okafor', 'reader'],
  ['erin', 'Erin Novak', 'reader'],
];

const OPENAI_KEYS: OpenAIKeyPlan[] = [
  { name: 'ticketing-prod', project: 'ticketing', owner: 'service-account', ageDays: 60, lastUsedHoursAgo: 0, hourlyRequests: 40, models: ['gpt-4o', 'gpt-4o-mini'] },
  { name: 'search-prod', project: 'search', owner: 'service-account', ageDays: 90, lastUsedHoursAgo: 1, hourlyRequests: 25, models: ['gpt-4o-mini', 'text-embedding-3-small'] },
  { name: 'analytics-batch', project: 'analytics', owner: 'service-account', ageDays: 45, lastUsedHoursAgo: 5, hourlyRequests: 10, models: ['gpt-4.1'] },
  { name: 'alice-laptop', project: 'ticketing', owner: 'alice', ageDays: 30, lastUsedHoursAgo: 48, hourlyRequests: 2, models: ['gpt-4o'] },
  { name: 'dave-notebook', project: 'search', owner: 'dave', ageDays: 80, lastUsedHoursAgo: 300, hourlyRequests: 1, models: ['gpt-4o-mini'] },
  { name: 'legacy-export', project: 'analytics', owner: 'bob', ageDays: 400, lastUsedHoursAgo: 120 * 24, hourlyRequests: 0, models: [] },
  { name: 'tmp-debug', project: 'ticketing', owner: 'carol', ageDays: 3, lastUsedHoursAgo: 2, hourlyRequests: 3, models: ['gpt-4o-mini'] },
];

/** Records of the non-token kinds, one per project and day. */
const DAILY_KINDS: Array<{ kind: EmulatedUsageKind; model: string; amounts: (random: SeededRandom) => Record<string, number>; dims?: Record<string, string> }> = [
  { kind: 'moderations', model: 'omni-moderation-latest', amounts: () => ({}) },
  { kind: 'images', model: 'gpt-image-1', amounts: (random) => ({ images: 1 + Math.floor(random.next() * 6) }), dims: { size: '1024x1024', source: 'image.generation' } },
  { kind: 'audio_speeches', model: 'tts-1', amounts: (random) => ({ characters: 500 + Math.floor(random.next() * 4000) }) },
  { kind: 'audio_transcriptions', model: 'whisper-1', amounts: (random) => ({ seconds: 30 + Math.floor(random.next() * 600) }) },
  { kind: 'vector_stores', model: 'vector-store', amounts: (random) => ({ usage_bytes: 1_000_000 + Math.floor(random.next() * 5_000_000) }) },
  { kind: 'code_interpreter_sessions', model: 'code-interpreter', amounts: (random) => ({ num_sessions: 1 + Math.floor(random.next() * 4) }) },
  { kind: 'file_search_calls', model: 'file-search', amounts: () => ({}), dims: { vector_store_id: 'vs_seeded_knowledge_base' } },
  { kind: 'web_search_calls', model: 'gpt-4o-mini', amounts: () => ({}), dims: { context_level: 'medium' } },
];

function addUserKey(state: EmulatorState, projectId: string, name: string, ownerUserId: string, createdAt: number): { key: EmulatedKey; value: SecretValue } {
  const value = generateKeyValue('openai-project');
  const key = state.addKey(
    {
      provider: 'openai', id: newKeyId(state), kind: 'project', name, redacted: redactOpenAI(value), createdAt, skipActivationDelay: true, status: 'active',
      expiresAt: null, projectId, serviceAccountId: null, ownerUserId, workspaceId: null, scopes: [], openrouter: null,
    },
    value,
  );
  return { key, value: new SecretValue(value) };
}

export function seedOrganization(state: EmulatorState, options: SeedOrganizationOptions = {}): SeededOrganization {
  const random = createSeededRandom(options.seed ?? 7);
  const days = options.days ?? 35;
  const now = state.nowMs();
  const firstHour = Math.floor((now - days * DAY) / HOUR) * HOUR;
  const owner = ownerUser(state);

  const users: SeededOrganization['openai']['users'] = {};
  for (const [handle, name, role] of OPENAI_PEOPLE) {
    const user: EmulatedUser = { id: `user-${state.ids.alphanumeric(24)}`, name, email: `${handle}@example.com`, role, addedAt: now - 200 * DAY };
    state.data.users.push(user);
    users[handle] = { id: user.id, email: user.email };
  }

  const projects: Record<string, string> = {};
  for (const name of ['ticketing', 'search', 'analytics']) {
    const project = createProject(state, name, null);
    project.createdAt = now - 420 * DAY;
    projects[name] = project.id;
  }
  const members = (state.data.projectMembers ??= []);
  const membership: Array<[string, string, 'owner' | 'member']> = [
    ['ticketing', 'alice', 'owner'], ['ticketing', 'carol', 'member'], ['search', 'bob', 'member'], ['search', 'dave', 'member'], ['analytics', 'bob', 'owner'], ['analytics', 'erin', 'member'],
  ];
  for (const [project, handle, role] of membership) members.push({ projectId: projects[project] ?? '', userId: users[handle]?.id ?? '', role, addedAt: now - 100 * DAY });

  const keys: Record<string, SeededKey> = {};
  const usageKeys: Array<{ key: EmulatedKey; plan: OpenAIKeyPlan; userId: string | null }> = [];
  for (const plan of OPENAI_KEYS) {
    const projectId = projects[plan.project] ?? '';
    const project = state.findProject(projectId);
    if (project === undefined) continue;
    const createdAt = now - plan.ageDays * DAY;
    let minted: { key: EmulatedKey; value: SecretValue };
    if (plan.owner === 'service-account') {
      const made = createServiceAccount(state, project, plan.name, true, null).minted;
      if (made === undefined) continue;
      minted = made;
      minted.key.skipActivationDelay = true;
      minted.key.name = plan.name;
      minted.key.createdAt = createdAt;
      // The batch job's service account was made a project owner: more than a key needs.
      if (plan.name === 'analytics-batch') {
        const account = state.data.serviceAccounts.find((candidate) => candidate.id === minted.key.serviceAccountId);
        if (account !== undefined) account.role = 'owner';
      }
    } else {
      minted = addUserKey(state, projectId, plan.name, users[plan.owner]?.id ?? owner.id, createdAt);
    }
    minted.key.lastUsedAt = plan.lastUsedHoursAgo === null ? null : now - plan.lastUsedHoursAgo * HOUR;
    keys[plan.name] = { id: minted.key.id, projectId, workspaceId: null, value: minted.value };
    usageKeys.push({ key: minted.key, plan, userId: plan.owner === 'service-account' ? null : (users[plan.owner]?.id ?? null) });
  }

  // Dave has left: removed from the organisation, his key stays behind.
  const dave = state.data.users.find((user) => user.id === users['dave']?.id);
  if (dave !== undefined) dave.removedAt = now - 10 * DAY;
  state.data.projectMembers = members.filter((member) => member.userId !== dave?.id);

  for (let hour = firstHour; hour < now; hour += HOUR) {
    for (const { key, plan, userId } of usageKeys) {
      const lastUse = key.lastUsedAt ?? 0;
      if (plan.hourlyRequests === 0 || hour > lastUse || hour < key.createdAt) continue;
      for (const model of plan.models) {
        const requests = Math.max(1, Math.round(plan.hourlyRequests * (0.5 + random.next())));
        const embedding = model.startsWith('text-embedding');
        state.data.usage.push({
          at: hour + Math.floor(random.next() * HOUR),
          provider: 'openai',
          kind: embedding ? 'embeddings' : 'completions',
          keyId: key.id,
          projectId: key.projectId,
          userId,
          workspaceId: null,
          model,
          inputTokens: requests * (200 + Math.floor(random.next() * 400)),
          outputTokens: embedding ? 0 : requests * (50 + Math.floor(random.next() * 150)),
          requests,
        });
      }
    }
  }
  const dailyKey = usageKeys[0]?.key;
  for (let day = Math.floor((now - days * DAY) / DAY) * DAY; day < now && dailyKey !== undefined; day += DAY) {
    for (const entry of DAILY_KINDS) {
      state.data.usage.push({
        at: day + Math.floor(random.next() * Math.min(DAY, Math.max(1, now - day))),
        provider: 'openai', kind: entry.kind, keyId: dailyKey.id, projectId: dailyKey.projectId, userId: null, workspaceId: null, model: entry.model,
        inputTokens: entry.kind === 'moderations' ? 300 : 0, outputTokens: 0, requests: 1 + Math.floor(random.next() * 5), amounts: entry.amounts(random), ...(entry.dims === undefined ? {} : { dims: entry.dims }),
      });
    }
  }

  for (let index = 0; index < (options.bulkKeys ?? 0); index += 1) {
    const bulk = (projects['bulk'] ??= createProject(state, 'bulk', null).id);
    const { key } = addUserKey(state, bulk, `bulk-${String(index).padStart(5, '0')}`, users['erin']?.id ?? owner.id, now - 30 * DAY);
    key.lastUsedAt = now - Math.floor(random.next() * 200) * DAY;
  }

  (state.data.invites ??= []).push({ id: `invite-${state.ids.alphanumeric(24)}`, email: 'frank@example.com', role: 'reader', status: 'pending', createdAt: now - DAY, expiresAt: now + 6 * DAY, acceptedAt: null, projects: [{ id: projects['search'] ?? '', role: 'member' }] });
  (state.data.spendAlerts ??= []).push(
    { id: `spend_alert_${state.ids.alphanumeric(20)}`, projectId: projects['ticketing'] ?? null, thresholdAmount: 500, recipients: ['alice@example.com'], subjectPrefix: null },
    { id: `spend_alert_${state.ids.alphanumeric(20)}`, projectId: null, thresholdAmount: 5000, recipients: ['finance@example.com'], subjectPrefix: '[org]' },
  );

  return { openai: { projects, users, keys }, anthropic: seedAnthropic(state, random, now, firstHour) };
}

function seedAnthropic(state: EmulatorState, random: SeededRandom, now: number, firstHour: number): SeededOrganization['anthropic'] {
  const org = anthropicOrganization(state);
  const users: SeededOrganization['anthropic']['users'] = {};
  for (const [handle, name, role] of [['alice', 'Alice Martin', 'admin'], ['bob', 'Bob Chen', 'developer'], ['grace', 'Grace Hopper', 'developer']] as const) {
    const user = { id: `user_01${state.ids.alphanumeric(22)}`, email: `${handle}@example.com`, name, role, addedAt: now - 150 * DAY };
    org.users.push(user);
    users[handle] = { id: user.id, email: user.email };
  }
  const workspaces: Record<string, string> = {};
  for (const name of ['support', 'research']) {
    const workspace = { id: `wrkspc_01${state.ids.alphanumeric(22)}`, name, createdAt: now - 150 * DAY, archivedAt: null, displayColor: '#6C5BB9' };
    org.workspaces.push(workspace);
    workspaces[name] = workspace.id;
  }
  org.members.push(
    { workspaceId: workspaces['support'] ?? '', userId: users['alice']?.id ?? '', role: 'workspace_admin' },
    { workspaceId: workspaces['support'] ?? '', userId: users['bob']?.id ?? '', role: 'workspace_developer' },
    { workspaceId: workspaces['research'] ?? '', userId: users['grace']?.id ?? '', role: 'workspace_developer' },
  );
  org.invites.push({ id: `invite_01${state.ids.alphanumeric(22)}`, email: 'heidi@example.com', role: 'developer', status: 'pending', invitedAt: now - DAY, expiresAt: now + 20 * DAY });

  const keys: Record<string, SeededKey> = {};
  const plans: Array<[string, string, string, number, string]> = [
    ['support-prod', 'support', 'alice', 1, 'claude-sonnet-4-20250514'],
    ['research-notebook', 'research', 'grace', 30, 'claude-opus-4-1-20250805'],
  ];
  for (const [name, workspace, owner, lastUsedHoursAgo, model] of plans) {
    const created = createAnthropicApiKey(state, name, workspaces[workspace] ?? null);
    created.key.ownerUserId = users[owner]?.id ?? null;
    created.key.createdAt = now - 120 * DAY;
    created.key.skipActivationDelay = true;
    created.key.lastUsedAt = now - lastUsedHoursAgo * HOUR;
    keys[name] = { id: created.key.id, projectId: null, workspaceId: created.key.workspaceId, value: created.value };
    for (let hour = firstHour; hour < (created.key.lastUsedAt ?? 0); hour += HOUR) {
      const requests = 1 + Math.floor(random.next() * 20);
      state.data.usage.push({
        at: hour + Math.floor(random.next() * HOUR), provider: 'anthropic', kind: 'messages', keyId: created.key.id, projectId: null, userId: created.key.ownerUserId,
        workspaceId: created.key.workspaceId, model, inputTokens: requests * (300 + Math.floor(random.next() * 600)), outputTokens: requests * (80 + Math.floor(random.next() * 200)), requests,
      });
    }
  }
  for (let day = Math.floor(firstHour / DAY) * DAY; day < now; day += DAY) {
    for (const handle of ['alice', 'grace']) {
      const sessions = 1 + Math.floor(random.next() * 8);
      org.claudeCode.push({
        day: new Date(day).toISOString().slice(0, 10), actor: { type: 'user_actor', emailAddress: `${handle}@example.com` }, terminalType: handle === 'alice' ? 'vscode' : 'iTerm.app',
        sessions, linesAdded: sessions * (20 + Math.floor(random.next() * 200)), linesRemoved: sessions * Math.floor(random.next() * 60), commits: Math.floor(random.next() * 4), pullRequests: Math.floor(random.next() * 2),
        editAccepted: sessions * 5, editRejected: Math.floor(random.next() * 3), model: 'claude-sonnet-4-20250514', inputTokens: sessions * 40_000, outputTokens: sessions * 6_000, estimatedCostCents: sessions * 21,
      });
    }
  }
  return { workspaces, users, keys };
}
