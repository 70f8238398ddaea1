/**
 * The rest of the Anthropic Admin API the CLI reads: users (list, get, change role, remove),
 * invites (list, create, get, delete), workspaces (list, create, get, rename, archive) and
 * their members (list, add, get, change role, remove), the cost report (amounts are cent
 * strings) and the Claude Code usage report (one day per request). Shapes as documented;
 * lists page with `after_id`/`before_id` and answer `first_id`/`last_id`, reports with
 * `page`/`next_page`. Registered on the admin app, so the admin key and faults apply.
 */
import type { Context, Hono } from 'hono';
import { ANTHROPIC_MODELS } from './emulator-catalog.js';
import { BadRequest, decodePageToken, encodePageToken, optionalInteger, optionalString, paginate, queryArray, readJsonObject, requiredString } from './emulator-http.js';
import type { AnthropicOrganization, AnthropicUser, AnthropicWorkspaceMember, ClaudeCodeRecord, EmulatorState } from './emulator-state.js';
import { anthropicError, type AnthropicEnv } from './anthropic-auth.js';

export const rfc3339 = (milliseconds: number) => new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z');

const ORG_ROLES = ['user', 'developer', 'billing', 'admin', 'claude_code_user'] as const;
const WORKSPACE_ROLES = ['workspace_user', 'workspace_developer', 'workspace_admin', 'workspace_billing'] as const;
const INVITE_LIFETIME_MS = 21 * 86_400_000;

export function anthropicOrganization(state: EmulatorState): AnthropicOrganization {
  return (state.data.anthropic ??= { users: [], invites: [], workspaces: [], members: [], claudeCode: [] });
}

/** `{data, has_more, first_id, last_id}` over ordered items. */
function page<T>(context: Context, items: T[], idOf: (item: T) => string, render: (item: T) => unknown, maxLimit = 1000) {
  const limit = optionalInteger(context.req.query('limit'), 'limit', 1, maxLimit) ?? 20;
  const window = paginate(items, idOf, { limit, after: context.req.query('after_id'), before: context.req.query('before_id') });
  const first = window.items[0];
  const last = window.items.at(-1);
  return { data: window.items.map(render), has_more: window.hasMore, first_id: first === undefined ? null : idOf(first), last_id: last === undefined ? null : idOf(last) };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new BadRequest(`${field}: Input should be ${allowed.map((item) => `'${item}'`).join(', ')}`);
  return value as T;
}

const userObject = (user: AnthropicUser) => ({ type: 'user', id: user.id, email: user.email, name: user.name, role: user.role, added_at: rfc3339(user.addedAt) });
const memberObject = (member: AnthropicWorkspaceMember) => ({ type: 'workspace_member', user_id: member.userId, workspace_id: member.workspaceId, workspace_role: member.role });

function claudeCodeObject(state: EmulatorState, record: ClaudeCodeRecord) {
  return {
    date: `${record.day}T00:00:00Z`,
    actor: record.actor.type === 'user_actor' ? { type: 'user_actor', email_address: record.actor.emailAddress } : { type: 'api_actor', api_key_name: record.actor.apiKeyName },
    organization_id: state.data.organizationId,
    customer_type: 'api',
    terminal_type: record.terminalType,
    core_metrics: {
      num_sessions: record.sessions,
      lines_of_code: { added: record.linesAdded, removed: record.linesRemoved },
      commits_by_claude_code: record.commits,
      pull_requests_by_claude_code: record.pullRequests,
    },
    tool_actions: {
      edit_tool: { accepted: record.editAccepted, rejected: record.editRejected },
      multi_edit_tool: { accepted: 0, rejected: 0 },
      write_tool: { accepted: 0, rejected: 0 },
      notebook_edit_tool: { accepted: 0, rejected: 0 },
    },
    model_breakdown: [
      {
        model: record.model,
        tokens: { input: record.inputTokens, output: record.outputTokens, cache_read: 0, cache_creation: 0 },
        estimated_cost: { currency: 'USD', amount: record.estimatedCostCents },
      },
    ],
  };
}

/** Cents per million tokens, from the model's list price (emulator prices, not Anthropic's). */
const CENTS_PER_MILLION: Record<'input' | 'output', number> = { input: 300, output: 1500 };

export function registerAnthropicOrgRoutes(app: Hono<AnthropicEnv>, state: EmulatorState, parseTime: (value: string | undefined, field: string) => number | undefined): void {
  const org = () => anthropicOrganization(state);
  const notFound = (context: Context, what: string) => anthropicError(context, 404, 'not_found_error', `${what} not found`);
  const findUser = (id: string | undefined) => org().users.find((user) => user.id === id);

  app.get('/users', (context) => {
    const email = context.req.query('email');
    return context.json(page(context, org().users.filter((user) => email === undefined || user.email === email), (user) => user.id, userObject));
  });
  app.get('/users/:user_id', (context) => {
    const user = findUser(context.req.param('user_id'));
    return user === undefined ? notFound(context, 'User') : context.json(userObject(user));
  });
  app.post('/users/:user_id', async (context) => {
    const user = findUser(context.req.param('user_id'));
    if (user === undefined) return notFound(context, 'User');
    user.role = oneOf((await readJsonObject(context))['role'], ORG_ROLES, 'role');
    return context.json(userObject(user));
  });
  app.delete('/users/:user_id', (context) => {
    const user = findUser(context.req.param('user_id'));
    if (user === undefined) return notFound(context, 'User');
    org().users = org().users.filter((candidate) => candidate !== user);
    org().members = org().members.filter((member) => member.userId !== user.id);
    return context.json({ id: user.id, type: 'user_deleted' });
  });

  const inviteObject = (invite: AnthropicOrganization['invites'][number]) => ({
    type: 'invite',
    id: invite.id,
    email: invite.email,
    role: invite.role,
    status: invite.status,
    invited_at: rfc3339(invite.invitedAt),
    expires_at: rfc3339(invite.expiresAt),
  });
  app.get('/invites', (context) => context.json(page(context, org().invites, (invite) => invite.id, inviteObject)));
  app.post('/invites', async (context) => {
    const body = await readJsonObject(context);
    const now = state.nowMs();
    const invite = { id: `invite_01${state.ids.alphanumeric(22)}`, email: requiredString(body, 'email'), role: oneOf(body['role'], ORG_ROLES, 'role'), status: 'pending' as const, invitedAt: now, expiresAt: now + INVITE_LIFETIME_MS };
    org().invites.push(invite);
    return context.json(inviteObject(invite));
  });
  app.get('/invites/:invite_id', (context) => {
    const invite = org().invites.find((candidate) => candidate.id === context.req.param('invite_id'));
    return invite === undefined ? notFound(context, 'Invite') : context.json(inviteObject(invite));
  });
  app.delete('/invites/:invite_id', (context) => {
    const invite = org().invites.find((candidate) => candidate.id === context.req.param('invite_id'));
    if (invite === undefined) return notFound(context, 'Invite');
    org().invites = org().invites.filter((candidate) => candidate !== invite);
    return context.json({ id: invite.id, type: 'invite_deleted' });
  });

  const workspaceObject = (workspace: AnthropicOrganization['workspaces'][number]) => ({
    type: 'workspace',
    id: workspace.id,
    name: workspace.name,
    created_at: rfc3339(workspace.createdAt),
    archived_at: workspace.archivedAt === null ? null : rfc3339(workspace.archivedAt),
    display_color: workspace.displayColor,
  });
  const findWorkspace = (id: string | undefined) => org().workspaces.find((workspace) => workspace.id === id);
  app.get('/workspaces', (context) => {
    const includeArchived = context.req.query('include_archived') === 'true';
    return context.json(page(context, org().workspaces.filter((workspace) => includeArchived || workspace.archivedAt === null), (workspace) => workspace.id, workspaceObject));
  });
  app.post('/workspaces', async (context) => {
    const workspace = { id: `wrkspc_01${state.ids.alphanumeric(22)}`, name: requiredString(await readJsonObject(context), 'name'), createdAt: state.nowMs(), archivedAt: null, displayColor: '#6C5BB9' };
    org().workspaces.push(workspace);
    return context.json(workspaceObject(workspace));
  });
  app.get('/workspaces/:workspace_id', (context) => {
    const workspace = findWorkspace(context.req.param('workspace_id'));
    return workspace === undefined ? notFound(context, 'Workspace') : context.json(workspaceObject(workspace));
  });
  app.post('/workspaces/:workspace_id', async (context) => {
    const workspace = findWorkspace(context.req.param('workspace_id'));
    if (workspace === undefined) return notFound(context, 'Workspace');
    workspace.name = optionalString(await readJsonObject(context), 'name') ?? workspace.name;
    return context.json(workspaceObject(workspace));
  });
  app.post('/workspaces/:workspace_id/archive', (context) => {
    const workspace = findWorkspace(context.req.param('workspace_id'));
    if (workspace === undefined) return notFound(context, 'Workspace');
    workspace.archivedAt ??= state.nowMs();
    return context.json(workspaceObject(workspace));
  });

  const membersOf = (workspaceId: string) => org().members.filter((member) => member.workspaceId === workspaceId);
  app.get('/workspaces/:workspace_id/members', (context) => {
    const workspace = findWorkspace(context.req.param('workspace_id'));
    return workspace === undefined ? notFound(context, 'Workspace') : context.json(page(context, membersOf(workspace.id), (member) => member.userId, memberObject));
  });
  app.post('/workspaces/:workspace_id/members', async (context) => {
    const workspace = findWorkspace(context.req.param('workspace_id'));
    if (workspace === undefined) return notFound(context, 'Workspace');
    const body = await readJsonObject(context);
    const user = findUser(requiredString(body, 'user_id'));
    if (user === undefined) throw new BadRequest('user_id: the user is not a member of the organization');
    if (membersOf(workspace.id).some((member) => member.userId === user.id)) throw new BadRequest('user_id: the user is already a member of this workspace');
    const member: AnthropicWorkspaceMember = { workspaceId: workspace.id, userId: user.id, role: oneOf(body['workspace_role'], WORKSPACE_ROLES, 'workspace_role') };
    org().members.push(member);
    return context.json(memberObject(member));
  });
  const findMember = (context: Context) => membersOf(context.req.param('workspace_id') ?? '').find((member) => member.userId === context.req.param('user_id'));
  app.get('/workspaces/:workspace_id/members/:user_id', (context) => {
    const member = findMember(context);
    return member === undefined ? notFound(context, 'Workspace member') : context.json(memberObject(member));
  });
  app.post('/workspaces/:workspace_id/members/:user_id', async (context) => {
    const member = findMember(context);
    if (member === undefined) return notFound(context, 'Workspace member');
    member.role = oneOf((await readJsonObject(context))['workspace_role'], WORKSPACE_ROLES, 'workspace_role');
    return context.json(memberObject(member));
  });
  app.delete('/workspaces/:workspace_id/members/:user_id', (context) => {
    const member = findMember(context);
    if (member === undefined) return notFound(context, 'Workspace member');
    org().members = org().members.filter((candidate) => candidate !== member);
    return context.json({ type: 'workspace_member_deleted', user_id: member.userId, workspace_id: member.workspaceId });
  });

  app.get('/cost_report', (context) => {
    const start = parseTime(context.req.query('starting_at'), 'starting_at');
    if (start === undefined) throw new BadRequest('starting_at: Field required');
    if ((context.req.query('bucket_width') ?? '1d') !== '1d') throw new BadRequest("bucket_width: Input should be '1d'");
    const day = 86_400_000;
    const end = parseTime(context.req.query('ending_at'), 'ending_at') ?? state.nowMs() + 1;
    const limit = optionalInteger(context.req.query('limit'), 'limit', 1, 31) ?? 7;
    const groupBy = queryArray(context, 'group_by');
    for (const field of groupBy) if (field !== 'workspace_id' && field !== 'description') throw new BadRequest(`group_by: unsupported value '${field}'`);
    const first = Math.floor(start / day) * day;
    const total = Math.max(0, Math.ceil((end - first) / day));
    const offset = decodePageToken(context.req.query('page'));
    const events = state.data.usage.filter((usage) => usage.provider === 'anthropic' && usage.at >= start && usage.at < end);
    const data = [];
    for (let index = offset; index < Math.min(total, offset + limit); index += 1) {
      const bucketStart = first + index * day;
      const groups = new Map<string, { workspaceId: string | null; description: string | null; model: string | null; tokenType: string | null; cents: number }>();
      for (const usage of events) {
        if (usage.at < bucketStart || usage.at >= bucketStart + day) continue;
        for (const [tokenType, count] of [['uncached_input_tokens', usage.inputTokens], ['output_tokens', usage.outputTokens]] as const) {
          const description = `${ANTHROPIC_MODELS.find((model) => model.id === usage.model)?.displayName ?? usage.model} Usage - ${tokenType === 'output_tokens' ? 'Output Tokens' : 'Input Tokens'}`;
          const byDescription = groupBy.includes('description');
          const groupKey = JSON.stringify([groupBy.includes('workspace_id') ? usage.workspaceId : null, byDescription ? description : null]);
          const group = groups.get(groupKey) ?? { workspaceId: groupBy.includes('workspace_id') ? usage.workspaceId : null, description: byDescription ? description : null, model: byDescription ? usage.model : null, tokenType: byDescription ? tokenType : null, cents: 0 };
          group.cents += (count * CENTS_PER_MILLION[tokenType === 'output_tokens' ? 'output' : 'input']) / 1_000_000;
          groups.set(groupKey, group);
        }
      }
      const results = [...groups.values()].map((group) => ({
        currency: 'USD',
        amount: group.cents.toFixed(6).replace(/\.?0+$/, ''),
        workspace_id: group.workspaceId,
        description: group.description,
        cost_type: group.description === null ? null : 'tokens',
        context_window: group.description === null ? null : '0-200k',
        model: group.model,
        service_tier: group.description === null ? null : 'standard',
        token_type: group.tokenType,
      }));
      data.push({ starting_at: rfc3339(bucketStart), ending_at: rfc3339(bucketStart + day), results });
    }
    const hasMore = offset + limit < total;
    return context.json({ data, has_more: hasMore, next_page: hasMore ? encodePageToken(offset + limit) : null });
  });

  app.get('/usage_report/claude_code', (context) => {
    const day = context.req.query('starting_at') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) throw new BadRequest('starting_at: Input should be a valid date in YYYY-MM-DD format');
    const limit = optionalInteger(context.req.query('limit'), 'limit', 1, 1000) ?? 20;
    const offset = decodePageToken(context.req.query('page'));
    const records = org().claudeCode.filter((record) => record.day === day);
    const window = records.slice(offset, offset + limit);
    const hasMore = offset + limit < records.length;
    return context.json({ data: window.map((record) => claudeCodeObject(state, record)), has_more: hasMore, next_page: hasMore ? encodePageToken(offset + limit) : null });
  });
}
