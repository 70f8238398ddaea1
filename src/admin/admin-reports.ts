/**
 * Usage and cost reports of both vendors as flat row streams: one row per bucket and
 * result, with the bucket's start and UTC day, the dimensions the API grouped by and the
 * measures. Costs are in one unit, US dollars (`amount_usd`): OpenAI reports dollars,
 * Anthropic cents as strings. The Claude Code report is one request per UTC day.
 */
import type { AdminClient, Query } from './admin-client.js';
import { BUCKET_MS, dayOf, type BucketWidth, type Row, type TimeRange } from './admin-query.js';

export interface ReportSpec {
  vendor: 'openai' | 'anthropic';
  name: string;
  summary: string;
  path: string;
  buckets: readonly BucketWidth[];
  /** What the API can group by (`group_by` values). */
  apiGroups: readonly string[];
  /** Numeric columns summed when grouping. */
  measures: readonly string[];
  /** Buckets per page at most, per width. */
  maxLimit: Partial<Record<BucketWidth, number>>;
  /** Reads the measures out of one result. */
  measure?: (result: Record<string, unknown>) => Row;
}

const LIMITS = { '1m': 1440, '1h': 168, '1d': 31 } as const;
const KEYED = ['project_id', 'user_id', 'api_key_id'];

const usage = (name: string, groups: string[], measures: string[]): ReportSpec => ({
  vendor: 'openai', name, summary: `OpenAI ${name.replaceAll('_', ' ')} usage`, path: `/organization/usage/${name}`, buckets: ['1m', '1h', '1d'], apiGroups: groups, measures, maxLimit: LIMITS,
});

/** Every usage kind of the official OpenAPI file, with its group_by values and measures. */
export const OPENAI_USAGE_REPORTS: readonly ReportSpec[] = [
  usage('completions', [...KEYED, 'model', 'batch', 'service_tier'], ['num_model_requests', 'input_tokens', 'output_tokens', 'input_cached_tokens']),
  usage('embeddings', [...KEYED, 'model'], ['num_model_requests', 'input_tokens']),
  usage('moderations', [...KEYED, 'model'], ['num_model_requests', 'input_tokens']),
  usage('images', [...KEYED, 'model', 'size', 'source'], ['num_model_requests', 'images']),
  usage('audio_speeches', [...KEYED, 'model'], ['num_model_requests', 'characters']),
  usage('audio_transcriptions', [...KEYED, 'model'], ['num_model_requests', 'seconds']),
  usage('vector_stores', ['project_id'], ['usage_bytes']),
  usage('code_interpreter_sessions', ['project_id'], ['num_sessions']),
  usage('file_search_calls', [...KEYED, 'vector_store_id'], ['num_requests']),
  usage('web_search_calls', [...KEYED, 'model', 'context_level'], ['num_model_requests', 'num_requests']),
];

const numberOf = (value: unknown) => (typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : 0);
const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {});

export const OPENAI_COSTS: ReportSpec = {
  vendor: 'openai', name: 'costs', summary: 'OpenAI costs in USD per day', path: '/organization/costs', buckets: ['1d'], apiGroups: ['project_id', 'line_item', 'api_key_id'], measures: ['amount_usd', 'quantity'], maxLimit: { '1d': 180 },
  measure: (result) => ({ amount_usd: numberOf(record(result['amount'])['value']), quantity: typeof result['quantity'] === 'number' ? result['quantity'] : null }),
};

export const ANTHROPIC_USAGE: ReportSpec = {
  vendor: 'anthropic', name: 'usage', summary: 'Anthropic messages usage', path: '/organizations/usage_report/messages', buckets: ['1m', '1h', '1d'],
  apiGroups: ['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window', 'inference_geo'],
  measures: ['uncached_input_tokens', 'cache_read_input_tokens', 'output_tokens', 'web_search_requests'], maxLimit: LIMITS,
  measure: (result) => ({
    uncached_input_tokens: numberOf(result['uncached_input_tokens']),
    cache_read_input_tokens: numberOf(result['cache_read_input_tokens']),
    output_tokens: numberOf(result['output_tokens']),
    web_search_requests: numberOf(record(result['server_tool_use'])['web_search_requests']),
  }),
};

export const ANTHROPIC_COSTS: ReportSpec = {
  vendor: 'anthropic', name: 'costs', summary: 'Anthropic costs in USD per day (the API reports cents)', path: '/organizations/cost_report', buckets: ['1d'], apiGroups: ['workspace_id', 'description'],
  measures: ['amount_usd'], maxLimit: { '1d': 31 },
  // Anthropic amounts are decimal strings in cents: "123.45" is $1.2345.
  measure: (result) => ({ amount_usd: numberOf(result['amount']) / 100, model: typeof result['model'] === 'string' ? result['model'] : null, token_type: typeof result['token_type'] === 'string' ? result['token_type'] : null }),
};

/** The columns a report's rows have: bucket start, day, the API groups, the measures. */
export function reportColumns(spec: ReportSpec): string[] {
  return ['start', 'day', ...spec.apiGroups, ...spec.measures];
}

const unixOrIso = (value: unknown) => (typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN);

/**
 * Rows of a report over `range`, the API grouping by `apiGroupBy` (a subset of the spec's
 * groups). Pages follow `next_page`; each bucket's rows are yielded as its page arrives.
 */
export async function* reportRows(client: AdminClient, spec: ReportSpec, options: { range: TimeRange; bucket: BucketWidth; apiGroupBy: readonly string[] }): AsyncGenerator<Row> {
  const { range, bucket } = options;
  const limit = Math.max(1, Math.min(spec.maxLimit[bucket] ?? 31, Math.ceil((range.endMs - range.startMs) / BUCKET_MS[bucket])));
  const query: Query =
    spec.vendor === 'openai'
      ? { start_time: Math.floor(range.startMs / 1000), end_time: Math.ceil(range.endMs / 1000), bucket_width: bucket, group_by: options.apiGroupBy, limit }
      : { starting_at: new Date(range.startMs).toISOString(), ending_at: new Date(range.endMs).toISOString(), bucket_width: bucket, group_by: options.apiGroupBy, limit };
  for await (const entry of client.pages({ operation: `read ${spec.vendor} ${spec.name}`, path: spec.path, query })) {
    const startMs = unixOrIso(entry['start_time'] ?? entry['starting_at']);
    const results = Array.isArray(entry['results']) ? (entry['results'] as unknown[]) : [];
    for (const result of results) {
      const item = record(result);
      const row: Row = { start: Number.isNaN(startMs) ? null : new Date(startMs).toISOString(), day: Number.isNaN(startMs) ? null : dayOf(startMs) };
      for (const group of spec.apiGroups) {
        const value = item[group];
        row[group] = typeof value === 'string' || typeof value === 'boolean' ? value : null;
      }
      if (spec.measure !== undefined) Object.assign(row, spec.measure(item));
      else for (const measure of spec.measures) row[measure] = numberOf(item[measure]);
      yield row;
    }
  }
}

export const CLAUDE_CODE_COLUMNS = ['day', 'actor', 'terminal_type', 'model', 'sessions', 'lines_added', 'lines_removed', 'commits', 'pull_requests', 'edits_accepted', 'edits_rejected', 'input_tokens', 'output_tokens', 'cost_usd'] as const;
export const CLAUDE_CODE_MEASURES = ['sessions', 'lines_added', 'lines_removed', 'commits', 'pull_requests', 'edits_accepted', 'edits_rejected', 'input_tokens', 'output_tokens', 'cost_usd'] as const;

/** The Claude Code report, one request (and its pages) per UTC day of the range; one row per actor, day and model. */
export async function* claudeCodeRows(client: AdminClient, range: TimeRange): AsyncGenerator<Row> {
  for (let day = Math.floor(range.startMs / 86_400_000) * 86_400_000; day < range.endMs; day += 86_400_000) {
    for await (const entry of client.pages({ operation: 'read Claude Code usage', path: '/organizations/usage_report/claude_code', query: { starting_at: dayOf(day), limit: 1000 } })) {
      const actor = record(entry['actor']);
      const core = record(entry['core_metrics']);
      const edit = record(record(entry['tool_actions'])['edit_tool']);
      const breakdown = Array.isArray(entry['model_breakdown']) ? (entry['model_breakdown'] as unknown[]).map(record) : [];
      for (const [index, model] of (breakdown.length === 0 ? [{}] : breakdown).entries()) {
        const tokens = record(model['tokens']);
        const first = index === 0;
        yield {
          day: dayOf(day),
          actor: typeof actor['email_address'] === 'string' ? actor['email_address'] : typeof actor['api_key_name'] === 'string' ? `key:${actor['api_key_name']}` : null,
          terminal_type: typeof entry['terminal_type'] === 'string' ? entry['terminal_type'] : null,
          model: typeof model['model'] === 'string' ? model['model'] : null,
          // Session and code counts belong to the day, not to one model: counted on the first model row only.
          sessions: first ? numberOf(core['num_sessions']) : 0,
          lines_added: first ? numberOf(record(core['lines_of_code'])['added']) : 0,
          lines_removed: first ? numberOf(record(core['lines_of_code'])['removed']) : 0,
          commits: first ? numberOf(core['commits_by_claude_code']) : 0,
          pull_requests: first ? numberOf(core['pull_requests_by_claude_code']) : 0,
          edits_accepted: first ? numberOf(edit['accepted']) : 0,
          edits_rejected: first ? numberOf(edit['rejected']) : 0,
          input_tokens: numberOf(tokens['input']),
          output_tokens: numberOf(tokens['output']),
          // estimated_cost.amount is in cents.
          cost_usd: numberOf(record(model['estimated_cost'])['amount']) / 100,
        };
      }
    }
  }
}
