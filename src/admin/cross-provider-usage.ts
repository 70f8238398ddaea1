/**
 * `rekey usage`: one table across both vendors. OpenAI completions and embeddings usage and
 * Anthropic messages usage are read grouped by key and model, joined with rekey's
 * credentials, and put into the same columns (requests, input and output tokens).
 */
import type { AdminClient } from './admin-client.js';
import { dayOf, type BucketWidth, type Row, type TimeRange } from './admin-query.js';
import { ANTHROPIC_USAGE, OPENAI_USAGE_REPORTS, reportRows } from './admin-reports.js';
import { joinRow, type KeyJoins } from './credential-join.js';

export const CROSS_USAGE_COLUMNS = ['provider', 'day', 'api_key_id', 'model', 'credential', 'credential_owner', 'environment', 'requests', 'input_tokens', 'output_tokens'] as const;
export const CROSS_USAGE_MEASURES = ['requests', 'input_tokens', 'output_tokens'] as const;
export const CROSS_USAGE_GROUPS = ['provider', 'day', 'api_key_id', 'model', 'credential', 'credential_owner', 'environment'] as const;

const numberAt = (row: Row, column: string) => (typeof row[column] === 'number' ? (row[column] as number) : 0);

export async function* crossProviderUsage(clients: Partial<Record<'openai' | 'anthropic', AdminClient>>, options: { range: TimeRange; bucket: BucketWidth; joins: KeyJoins }): AsyncGenerator<Row> {
  const apiGroupBy = ['api_key_id', 'model'];
  if (clients.openai !== undefined) {
    for (const spec of OPENAI_USAGE_REPORTS.filter((report) => report.name === 'completions' || report.name === 'embeddings')) {
      for await (const row of reportRows(clients.openai, spec, { ...options, apiGroupBy })) {
        yield joinRow({ provider: 'openai', day: row['day'] ?? null, api_key_id: row['api_key_id'] ?? null, model: row['model'] ?? null, requests: numberAt(row, 'num_model_requests'), input_tokens: numberAt(row, 'input_tokens'), output_tokens: numberAt(row, 'output_tokens') }, 'openai', options.joins);
      }
    }
  }
  if (clients.anthropic !== undefined) {
    for await (const row of reportRows(clients.anthropic, ANTHROPIC_USAGE, { ...options, apiGroupBy })) {
      // The messages report has no request count; tokens only.
      yield joinRow(
        { provider: 'anthropic', day: row['day'] ?? (row['start'] === null ? null : dayOf(Date.parse(String(row['start'])))), api_key_id: row['api_key_id'] ?? null, model: row['model'] ?? null, requests: null, input_tokens: numberAt(row, 'uncached_input_tokens') + numberAt(row, 'cache_read_input_tokens'), output_tokens: numberAt(row, 'output_tokens') },
        'anthropic',
        options.joins,
      );
    }
  }
}
