/** `rekey usage`: usage of every configured provider in one table, joined with credentials (`--group-by credential`). */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import type { AdminClient } from '../../admin/admin-client.js';
import { parseBucket, parseGroupBy, parseTimeRange } from '../../admin/admin-query.js';
import { CROSS_USAGE_COLUMNS, CROSS_USAGE_GROUPS, CROSS_USAGE_MEASURES, crossProviderUsage } from '../../admin/cross-provider-usage.js';
import { adminClientFor, adminConfigured, checkFilters, loadJoinsIfInitialised, writeQuery } from '../admin-wiring.js';
import { collect } from '../cli-options.js';

interface UsageOptions {
  since?: string;
  from?: string;
  to?: string;
  bucket?: string;
  groupBy?: string[];
  filter?: string[];
  output?: string;
}

export function register(program: Command): void {
  program
    .command('usage')
    .description('Usage across OpenAI and Anthropic in one table, joined with rekey credentials (--group-by credential)')
    .option('--since <time>', 'start: relative (7d, 12h), a date or date-time (UTC), or unix seconds; default 7d')
    .option('--from <time>', 'start (same forms as --since)')
    .option('--to <time>', 'end (default now)')
    .option('--bucket <width>', 'bucket width read from the providers: 1m, 1h, 1d', '1d')
    .option('--group-by <columns>', 'sum per group: provider, credential, owner, environment, key, model, day', collect)
    .option('--filter <column=value>', 'keep rows where column=value, column!=value or column~text (repeatable)', collect)
    .option('--output <format>', 'table, json, ndjson, csv or yaml', 'table')
    .action(async (options: UsageOptions) => {
      const groupBy = parseGroupBy(options.groupBy, CROSS_USAGE_GROUPS);
      checkFilters(options.filter, CROSS_USAGE_COLUMNS);
      const range = parseTimeRange(options, Date.now());
      const bucket = parseBucket(options.bucket);
      const clients: Partial<Record<'openai' | 'anthropic', AdminClient>> = {};
      if (adminConfigured('openai')) clients.openai = adminClientFor('openai');
      if (adminConfigured('anthropic')) clients.anthropic = adminClientFor('anthropic');
      if (clients.openai === undefined && clients.anthropic === undefined) {
        throw new ConfigError('rekey usage needs an admin key: set OPENAI_ADMIN_KEY, ANTHROPIC_ADMIN_KEY or both');
      }
      const joins = await loadJoinsIfInitialised();
      await writeQuery(crossProviderUsage(clients, { range, bucket, joins }), { output: options.output, filter: options.filter, columns: CROSS_USAGE_COLUMNS, groupBy, measures: CROSS_USAGE_MEASURES });
    });
}
