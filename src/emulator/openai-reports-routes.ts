/**
 * `/v1/organization/usage/{kind}` (every kind in the spec), `/costs` and `/audit_logs`, computed
 * from the requests the emulator really served. Buckets start exactly at `start_time` and
 * are `bucket_width` long; empty buckets are returned with `results: []`.
 */
import { Hono, type Context } from 'hono';
import { findOpenAIModel } from './emulator-catalog.js';
import { BadRequest, decodePageToken, encodePageToken, optionalInteger, queryArray } from './emulator-http.js';
import type { EmulatedAuditLog, EmulatedUsage, EmulatorState } from './emulator-state.js';
import type { EmulatorDeps, OpenAIEnv } from './openai-auth.js';
import { listEnvelope, ownerUser, seconds } from './openai-objects.js';

const WIDTHS: Record<string, { seconds: number; defaultLimit: number; maxLimit: number }> = {
  '1m': { seconds: 60, defaultLimit: 60, maxLimit: 1440 },
  '1h': { seconds: 3600, defaultLimit: 24, maxLimit: 168 },
  '1d': { seconds: 86400, defaultLimit: 7, maxLimit: 31 },
};

interface BucketWindow {
  startTime: number;
  endTime: number;
}

interface PagedBuckets {
  buckets: BucketWindow[];
  hasMore: boolean;
  nextPage: string | null;
  /** Exclusive upper bound for events, in seconds. */
  until: number;
}

function pagedBuckets(context: Context, state: EmulatorState, allowedWidths: string[], costLimits?: { defaultLimit: number; maxLimit: number }): PagedBuckets {
  const start = optionalInteger(context.req.query('start_time'), 'start_time', 0, Number.MAX_SAFE_INTEGER);
  if (start === undefined) throw new BadRequest("Missing required parameter: 'start_time'.", 'start_time');
  const end = optionalInteger(context.req.query('end_time'), 'end_time', 0, Number.MAX_SAFE_INTEGER) ?? state.nowSeconds() + 1;
  if (end <= start) throw new BadRequest("'end_time' must be after 'start_time'.", 'end_time');
  const widthName = context.req.query('bucket_width') ?? '1d';
  const width = WIDTHS[widthName];
  if (width === undefined || !allowedWidths.includes(widthName)) {
    throw new BadRequest(`Invalid 'bucket_width': expected one of ${allowedWidths.join(', ')}.`, 'bucket_width');
  }
  const limits = costLimits ?? width;
  const limit = optionalInteger(context.req.query('limit'), 'limit', 1, limits.maxLimit) ?? limits.defaultLimit;
  const total = Math.ceil((end - start) / width.seconds);
  const first = decodePageToken(context.req.query('page'));
  const buckets: BucketWindow[] = [];
  for (let index = first; index < Math.min(total, first + limit); index += 1) {
    buckets.push({ startTime: start + index * width.seconds, endTime: start + (index + 1) * width.seconds });
  }
  const hasMore = first + limit < total;
  return { buckets, hasMore, nextPage: hasMore ? encodePageToken(first + limit) : null, until: end };
}

/** Items per bucket of the page, in one pass (items outside the page window are dropped). */
function bucketize<T>(page: PagedBuckets, items: T[], atMs: (item: T) => number): T[][] {
  const result: T[][] = page.buckets.map(() => []);
  const first = page.buckets[0];
  if (first === undefined) return result;
  const width = first.endTime - first.startTime;
  for (const item of items) {
    const at = seconds(atMs(item));
    if (at < first.startTime || at >= page.until) continue;
    result[Math.floor((at - first.startTime) / width)]?.push(item);
  }
  return result;
}

function validGroupBy(context: Context, allowed: string[]): string[] {
  const groupBy = queryArray(context, 'group_by');
  for (const field of groupBy) {
    if (!allowed.includes(field)) throw new BadRequest(`Invalid 'group_by' value '${field}': expected any of ${allowed.join(', ')}.`, 'group_by');
  }
  return groupBy;
}

/** Every usage kind of `/organization/usage/{kind}` as the official spec has it: result object, group_by values, measures. */
export const OPENAI_USAGE_KINDS = [
  'completions',
  'embeddings',
  'moderations',
  'images',
  'audio_speeches',
  'audio_transcriptions',
  'vector_stores',
  'code_interpreter_sessions',
  'file_search_calls',
  'web_search_calls',
] as const;
export type OpenAIUsageKind = (typeof OPENAI_USAGE_KINDS)[number];

const KEYED = ['project_id', 'user_id', 'api_key_id'];
const amount = (name: string) => (group: EmulatedUsage[]) => group.reduce((sum, usage) => sum + (usage.amounts?.[name] ?? 0), 0);
const requests = (group: EmulatedUsage[]) => group.reduce((sum, usage) => sum + (usage.requests ?? 1), 0);
const tokens = (field: 'inputTokens' | 'outputTokens') => (group: EmulatedUsage[]) => group.reduce((sum, usage) => sum + usage[field], 0);

interface UsageKindShape {
  object: string;
  groups: string[];
  measures: Record<string, (group: EmulatedUsage[]) => number>;
}

const USAGE_SHAPES: Record<OpenAIUsageKind, UsageKindShape> = {
  completions: {
    object: 'organization.usage.completions.result',
    groups: [...KEYED, 'model', 'batch', 'service_tier'],
    measures: { input_tokens: tokens('inputTokens'), output_tokens: tokens('outputTokens'), num_model_requests: requests, input_cached_tokens: () => 0, input_uncached_tokens: tokens('inputTokens'), input_audio_tokens: () => 0, output_audio_tokens: () => 0 },
  },
  embeddings: { object: 'organization.usage.embeddings.result', groups: [...KEYED, 'model'], measures: { input_tokens: tokens('inputTokens'), num_model_requests: requests } },
  moderations: { object: 'organization.usage.moderations.result', groups: [...KEYED, 'model'], measures: { input_tokens: tokens('inputTokens'), num_model_requests: requests } },
  images: { object: 'organization.usage.images.result', groups: [...KEYED, 'model', 'size', 'source'], measures: { images: amount('images'), num_model_requests: requests } },
  audio_speeches: { object: 'organization.usage.audio_speeches.result', groups: [...KEYED, 'model'], measures: { characters: amount('characters'), num_model_requests: requests } },
  audio_transcriptions: { object: 'organization.usage.audio_transcriptions.result', groups: [...KEYED, 'model'], measures: { seconds: amount('seconds'), num_model_requests: requests } },
  vector_stores: { object: 'organization.usage.vector_stores.result', groups: ['project_id'], measures: { usage_bytes: amount('usage_bytes') } },
  code_interpreter_sessions: { object: 'organization.usage.code_interpreter_sessions.result', groups: ['project_id'], measures: { num_sessions: amount('num_sessions') } },
  file_search_calls: { object: 'organization.usage.file_searches.result', groups: [...KEYED, 'vector_store_id'], measures: { num_requests: requests } },
  web_search_calls: { object: 'organization.usage.web_searches.result', groups: [...KEYED, 'model', 'context_level'], measures: { num_model_requests: requests, num_requests: requests } },
};

const DIMENSION_OF: Record<string, (usage: EmulatedUsage) => string | boolean | null> = {
  project_id: (usage) => usage.projectId,
  user_id: (usage) => usage.userId,
  api_key_id: (usage) => usage.keyId,
  model: (usage) => usage.model,
  batch: () => false,
  service_tier: () => 'default',
  size: (usage) => usage.dims?.['size'] ?? null,
  source: (usage) => usage.dims?.['source'] ?? null,
  vector_store_id: (usage) => usage.dims?.['vector_store_id'] ?? null,
  context_level: (usage) => usage.dims?.['context_level'] ?? null,
};

/** Groups events by the requested dimensions, in first-seen order. */
function groupEvents<T extends { dims: Record<string, string | boolean | null> }>(keys: string[], items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const groupKey = JSON.stringify(keys.map((key) => item.dims[key] ?? null));
    const group = groups.get(groupKey);
    if (group === undefined) groups.set(groupKey, [item]);
    else group.push(item);
  }
  return groups;
}

/** Query filters (`project_ids`, `models`, `sizes`…) and the dimension each reads. */
const USAGE_FILTERS: Array<[string, string]> = [
  ['project_ids', 'project_id'],
  ['user_ids', 'user_id'],
  ['api_key_ids', 'api_key_id'],
  ['models', 'model'],
  ['sizes', 'size'],
  ['sources', 'source'],
  ['vector_store_ids', 'vector_store_id'],
  ['context_levels', 'context_level'],
];

function usageRoute(deps: EmulatorDeps, kind: OpenAIUsageKind) {
  const shape = USAGE_SHAPES[kind];
  return (context: Context<OpenAIEnv>) => {
    const { state } = deps;
    const page = pagedBuckets(context, state, ['1m', '1h', '1d']);
    const groupBy = validGroupBy(context, shape.groups);
    const active = USAGE_FILTERS.filter(([, dimension]) => shape.groups.includes(dimension))
      .map(([name, dimension]) => [queryArray(context, name), DIMENSION_OF[dimension]] as const)
      .filter(([values]) => values.length > 0);
    const events = state.data.usage.filter((usage) => usage.provider === 'openai' && usage.kind === kind && active.every(([values, read]) => values.includes(String(read?.(usage) ?? ''))));
    const byBucket = bucketize(page, events, (usage) => usage.at);
    const data = page.buckets.map((bucket, index) => {
      const inBucket = (byBucket[index] ?? []).map((usage) => ({ usage, dims: Object.fromEntries(shape.groups.map((name) => [name, DIMENSION_OF[name]?.(usage) ?? null])) }));
      const results = [...groupEvents(groupBy, inBucket).values()].map((group) => {
        const usages = group.map((item) => item.usage);
        const measures = Object.fromEntries(Object.entries(shape.measures).map(([name, measure]) => [name, measure(usages)]));
        const dims = Object.fromEntries(shape.groups.map((name) => [name, groupBy.includes(name) ? (group[0]?.dims[name] ?? null) : null]));
        return { object: shape.object, ...measures, ...dims };
      });
      return { object: 'bucket', start_time: bucket.startTime, end_time: bucket.endTime, results };
    });
    return context.json({ object: 'page', data, has_more: page.hasMore, next_page: page.nextPage });
  };
}

/** USD per unit for the kinds that are not priced per token. */
const UNIT_PRICES: Partial<Record<OpenAIUsageKind, { amount: string; price: number; unit: string }>> = {
  images: { amount: 'images', price: 0.04, unit: 'images' },
  audio_speeches: { amount: 'characters', price: 0.000015, unit: 'characters' },
  audio_transcriptions: { amount: 'seconds', price: 0.0001, unit: 'duration_seconds' },
  code_interpreter_sessions: { amount: 'num_sessions', price: 0.03, unit: 'sessions' },
};

/** One cost line per usage event and direction (input / output) or unit, priced from the catalogue. */
function costLines(usage: EmulatedUsage): Array<{ at: number; tokens: number; unit: string; amount: number; dims: Record<string, string | null> }> {
  const dims = (lineItem: string) => ({ project_id: usage.projectId, api_key_id: usage.keyId, line_item: lineItem });
  const unitPrice = UNIT_PRICES[usage.kind as OpenAIUsageKind];
  if (unitPrice !== undefined) {
    const quantity = usage.amounts?.[unitPrice.amount] ?? 0;
    return quantity > 0 ? [{ at: usage.at, tokens: quantity, unit: unitPrice.unit, amount: quantity * unitPrice.price, dims: dims(`${usage.model}, ${usage.kind}`) }] : [];
  }
  const model = findOpenAIModel(usage.model);
  const directions: Array<['input' | 'output', number, number]> = [
    ['input', usage.inputTokens, model?.inputPricePerMillion ?? 0],
    ['output', usage.outputTokens, model?.outputPricePerMillion ?? 0],
  ];
  return directions
    .filter(([, count]) => count > 0)
    .map(([direction, count, price]) => ({ at: usage.at, tokens: count, unit: 'tokens', amount: (count * price) / 1_000_000, dims: dims(`${usage.model}, ${direction}`) }));
}

function costsRoute(deps: EmulatorDeps) {
  return (context: Context<OpenAIEnv>) => {
    const { state } = deps;
    const page = pagedBuckets(context, state, ['1d'], { defaultLimit: 7, maxLimit: 180 });
    const groupBy = validGroupBy(context, ['project_id', 'line_item', 'api_key_id']);
    const projectIds = queryArray(context, 'project_ids');
    const keyIds = queryArray(context, 'api_key_ids');
    const lines = state.data.usage
      .filter((usage) => usage.provider === 'openai')
      .filter((usage) => (projectIds.length === 0 || projectIds.includes(usage.projectId ?? '')) && (keyIds.length === 0 || keyIds.includes(usage.keyId)))
      .flatMap(costLines);
    const byBucket = bucketize(page, lines, (line) => line.at);
    const data = page.buckets.map((bucket, index) => {
      const inBucket = byBucket[index] ?? [];
      const results = [...groupEvents(groupBy, inBucket).values()].map((group) => {
        const pick = (name: 'project_id' | 'api_key_id' | 'line_item') => (groupBy.includes(name) ? (group[0]?.dims[name] ?? null) : null);
        const byLineItem = groupBy.includes('line_item');
        return {
          object: 'organization.costs.result',
          amount: { value: group.reduce((sum, line) => sum + line.amount, 0), currency: 'usd' },
          line_item: pick('line_item'),
          project_id: pick('project_id'),
          api_key_id: pick('api_key_id'),
          quantity: byLineItem ? group.reduce((sum, line) => sum + line.tokens, 0) : null,
          quantity_unit: byLineItem ? (group[0]?.unit ?? 'tokens') : null,
        };
      });
      return { object: 'bucket', start_time: bucket.startTime, end_time: bucket.endTime, results };
    });
    return context.json({ object: 'page', data, has_more: page.hasMore, next_page: page.nextPage });
  };
}

function auditLogObject(state: EmulatorState, entry: EmulatedAuditLog) {
  const owner = ownerUser(state);
  const actorKey = entry.actorKeyId === null ? undefined : state.data.keys.find((key) => key.provider === 'openai' && key.id === entry.actorKeyId);
  const actor =
    actorKey === undefined
      ? { type: 'session', session: { user: { id: owner.id, email: owner.email }, ip_address: '127.0.0.1' } }
      : { type: 'api_key', api_key: { id: actorKey.id, type: 'user', user: { id: owner.id, email: owner.email } } };
  const project = entry.projectId === null ? undefined : state.findProject(entry.projectId);
  return {
    id: entry.id,
    type: entry.type,
    effective_at: seconds(entry.effectiveAt),
    ...(project === undefined ? {} : { project: { id: project.id, name: project.name } }),
    actor,
    [entry.type]: entry.details,
  };
}

function auditLogsRoute(deps: EmulatorDeps) {
  return (context: Context<OpenAIEnv>) => {
    const { state } = deps;
    const bound = (name: string) => optionalInteger(context.req.query(`effective_at[${name}]`), `effective_at[${name}]`, 0, Number.MAX_SAFE_INTEGER);
    const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
    const projectIds = queryArray(context, 'project_ids');
    const eventTypes = queryArray(context, 'event_types');
    const actorIds = queryArray(context, 'actor_ids');
    const actorEmails = queryArray(context, 'actor_emails');
    const resourceIds = queryArray(context, 'resource_ids');
    const owner = ownerUser(state);
    const entries = [...state.data.auditLogs].reverse().filter((entry) => {
      const at = seconds(entry.effectiveAt);
      if ((gt !== undefined && at <= gt) || (gte !== undefined && at < gte) || (lt !== undefined && at >= lt) || (lte !== undefined && at > lte)) return false;
      if (projectIds.length > 0 && !projectIds.includes(entry.projectId ?? '')) return false;
      if (eventTypes.length > 0 && !eventTypes.includes(entry.type)) return false;
      if (actorIds.length > 0 && !actorIds.includes(entry.actorKeyId ?? owner.id)) return false;
      if (actorEmails.length > 0 && !actorEmails.includes(owner.email)) return false;
      if (resourceIds.length > 0 && !resourceIds.includes(String(entry.details['id']))) return false;
      return true;
    });
    return context.json(listEnvelope(context, entries, (entry) => entry.id, (entry) => auditLogObject(state, entry)));
  };
}

export function createOpenAIReportsRoutes(deps: EmulatorDeps): Hono<OpenAIEnv> {
  const app = new Hono<OpenAIEnv>();
  for (const kind of OPENAI_USAGE_KINDS) app.get(`/usage/${kind}`, usageRoute(deps, kind));
  app.get('/costs', costsRoute(deps));
  app.get('/audit_logs', auditLogsRoute(deps));
  return app;
}
