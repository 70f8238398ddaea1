/**
 * Anthropic Admin API subset under `/anthropic/v1/organizations`: `me`, `api_keys`
 * (list / get / update: no create, no delete, as on the real API) and
 * `usage_report/messages`; users, invites, workspaces, members, the cost report and the Claude
 * Code report are in anthropic-org-routes.ts. Buckets are snapped to the start of the UTC minute/hour/day.
 */
import { Hono } from 'hono';
import { BadRequest, decodePageToken, encodePageToken, optionalInteger, optionalString, paginate, queryArray, readJsonObject } from './emulator-http.js';
import type { EmulatedKey, EmulatorState } from './emulator-state.js';
import { anthropicAuthenticate, anthropicError, type AnthropicEnv } from './anthropic-auth.js';
import type { EmulatorDeps } from './openai-auth.js';
import { registerAnthropicOrgRoutes, rfc3339 } from './anthropic-org-routes.js';


export function anthropicApiKeyObject(state: EmulatorState, key: EmulatedKey) {
  const ownerId = key.ownerUserId ?? state.data.users[0]?.id ?? null;
  return {
    type: 'api_key',
    id: key.id,
    created_at: rfc3339(key.createdAt),
    created_by: ownerId === null ? null : { id: ownerId, type: 'user' },
    expires_at: key.expiresAt === null ? null : rfc3339(key.expiresAt),
    name: key.name ?? '',
    partial_key_hint: key.redacted,
    status: key.status,
    workspace_id: key.workspaceId,
    principal: ownerId === null ? null : { type: 'user_actor', user_id: ownerId },
    // Keys in the default workspace (workspace_id null) are shown as organisation-scoped: UNCONFIRMED upstream.
    scope: key.workspaceId === null ? { type: 'organization' } : { type: 'workspace', workspace_id: key.workspaceId },
  };
}

const STATUSES = ['active', 'inactive', 'archived'] as const;
const WIDTHS: Record<string, { milliseconds: number; defaultLimit: number; maxLimit: number }> = {
  '1m': { milliseconds: 60_000, defaultLimit: 60, maxLimit: 1440 },
  '1h': { milliseconds: 3_600_000, defaultLimit: 24, maxLimit: 168 },
  '1d': { milliseconds: 86_400_000, defaultLimit: 7, maxLimit: 31 },
};
const GROUPS = ['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window', 'inference_geo'];

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new BadRequest(`${field}: Input should be a valid RFC 3339 datetime`);
  return parsed;
}

export function createAnthropicAdminRoutes(deps: EmulatorDeps): Hono<AnthropicEnv> {
  const { state } = deps;
  const app = new Hono<AnthropicEnv>();
  app.use('*', anthropicAuthenticate(deps, 'admin'));
  const apiKeys = () => state.data.keys.filter((key) => key.provider === 'anthropic' && key.kind === 'api');

  app.get('/me', (context) => context.json({ id: state.data.organizationId, type: 'organization', name: 'Emulated organization' }));

  app.get('/api_keys', (context) => {
    const limit = optionalInteger(context.req.query('limit'), 'limit', 1, 1000) ?? 20;
    const status = context.req.query('status');
    const workspaceId = context.req.query('workspace_id');
    const createdBy = context.req.query('created_by_user_id');
    const keys = apiKeys()
      .reverse()
      .filter((key) => status === undefined || key.status === status)
      .filter((key) => workspaceId === undefined || key.workspaceId === workspaceId)
      .filter((key) => createdBy === undefined || key.ownerUserId === createdBy);
    const page = paginate(keys, (key) => key.id, { limit, after: context.req.query('after_id'), before: context.req.query('before_id') });
    return context.json({
      data: page.items.map((key) => anthropicApiKeyObject(state, key)),
      has_more: page.hasMore,
      first_id: page.items[0]?.id ?? null,
      last_id: page.items.at(-1)?.id ?? null,
    });
  });

  app.get('/api_keys/:key_id', (context) => {
    const key = apiKeys().find((candidate) => candidate.id === context.req.param('key_id'));
    return key === undefined ? anthropicError(context, 404, 'not_found_error', 'API key not found') : context.json(anthropicApiKeyObject(state, key));
  });

  app.post('/api_keys/:key_id', async (context) => {
    const key = apiKeys().find((candidate) => candidate.id === context.req.param('key_id'));
    if (key === undefined) return anthropicError(context, 404, 'not_found_error', 'API key not found');
    const body = await readJsonObject(context);
    const name = optionalString(body, 'name');
    const status = optionalString(body, 'status');
    if (name !== undefined && (name.length < 1 || name.length > 500)) throw new BadRequest('name: String should have between 1 and 500 characters');
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new BadRequest("status: Input should be 'active', 'inactive' or 'archived'");
    if (key.status === 'archived' && status !== undefined && status !== 'archived') {
      return anthropicError(context, 400, 'invalid_request_error', 'An archived API key cannot be reactivated.');
    }
    if (name !== undefined) key.name = name;
    if (status !== undefined) state.setKeyStatus(key, status as (typeof STATUSES)[number]);
    return context.json(anthropicApiKeyObject(state, key));
  });

  app.get('/usage_report/messages', (context) => {
    const start = parseTime(context.req.query('starting_at'), 'starting_at');
    if (start === undefined) throw new BadRequest('starting_at: Field required');
    const widthName = context.req.query('bucket_width') ?? '1d';
    const width = WIDTHS[widthName];
    if (width === undefined) throw new BadRequest("bucket_width: Input should be '1d', '1h' or '1m'");
    const end = parseTime(context.req.query('ending_at'), 'ending_at') ?? state.nowMs() + 1;
    const limit = optionalInteger(context.req.query('limit'), 'limit', 1, width.maxLimit) ?? width.defaultLimit;
    const groupBy = queryArray(context, 'group_by');
    for (const field of groupBy) if (!GROUPS.includes(field)) throw new BadRequest(`group_by: unsupported value '${field}'`);
    const keyIds = queryArray(context, 'api_key_ids');
    const workspaceIds = queryArray(context, 'workspace_ids');
    const models = queryArray(context, 'models');
    const first = Math.floor(start / width.milliseconds) * width.milliseconds;
    const total = Math.max(0, Math.ceil((end - first) / width.milliseconds));
    const offset = decodePageToken(context.req.query('page'));
    const events = state.data.usage.filter(
      (usage) =>
        usage.provider === 'anthropic' &&
        usage.at >= start &&
        usage.at < end &&
        (keyIds.length === 0 || keyIds.includes(usage.keyId)) &&
        (workspaceIds.length === 0 || workspaceIds.includes(usage.workspaceId ?? '')) &&
        (models.length === 0 || models.includes(usage.model)),
    );
    const data = [];
    for (let index = offset; index < Math.min(total, offset + limit); index += 1) {
      const bucketStart = first + index * width.milliseconds;
      const inBucket = events.filter((usage) => usage.at >= bucketStart && usage.at < bucketStart + width.milliseconds);
      const groups = new Map<string, typeof inBucket>();
      for (const usage of inBucket) {
        const dims = { api_key_id: usage.keyId, workspace_id: usage.workspaceId, model: usage.model, service_tier: 'standard', context_window: '0-200k', inference_geo: 'global' };
        const groupKey = JSON.stringify(groupBy.map((field) => dims[field as keyof typeof dims]));
        const group = groups.get(groupKey);
        if (group === undefined) groups.set(groupKey, [usage]);
        else group.push(usage);
      }
      const results = [...groups.values()].map((group) => {
        const sample = group[0];
        const dim = (field: string, value: string | null | undefined) => (groupBy.includes(field) ? (value ?? null) : null);
        return {
          api_key_id: dim('api_key_id', sample?.keyId),
          workspace_id: dim('workspace_id', sample?.workspaceId),
          model: dim('model', sample?.model),
          service_tier: dim('service_tier', 'standard'),
          context_window: dim('context_window', '0-200k'),
          inference_geo: dim('inference_geo', 'global'),
          uncached_input_tokens: group.reduce((sum, usage) => sum + usage.inputTokens, 0),
          cache_read_input_tokens: 0,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
          output_tokens: group.reduce((sum, usage) => sum + usage.outputTokens, 0),
          server_tool_use: { web_search_requests: 0 },
        };
      });
      data.push({ starting_at: rfc3339(bucketStart), ending_at: rfc3339(bucketStart + width.milliseconds), results });
    }
    const hasMore = offset + limit < total;
    return context.json({ data, has_more: hasMore, next_page: hasMore ? encodePageToken(offset + limit) : null });
  });

  registerAnthropicOrgRoutes(app, state, parseTime);
  return app;
}
