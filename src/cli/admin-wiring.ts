/**
 * What `rekey openai …`, `rekey anthropic …`, `rekey usage`, `inventory` and `offboard`
 * share: the Admin API client from the environment (OPENAI_ADMIN_KEY / OPENAI_BASE_URL,
 * ANTHROPIC_ADMIN_KEY / ANTHROPIC_BASE_URL), the credential joins from the store when rekey
 * is initialised, and streaming a query's rows to standard output.
 */
import { existsSync } from 'node:fs';
import { createAdminClient, type AdminClient, type AdminVendor } from '../admin/admin-client.js';
import { createRowWriter, parseOutputFormat, streamSink, writeRows } from '../admin/admin-output.js';
import { aggregateRows, filterRows, parseFilters, roundMoney, type Row } from '../admin/admin-query.js';
import { loadKeyJoins, type KeyJoin } from '../admin/credential-join.js';
import { loadBaseUrl, loadSecretSetting } from '../providers/provider-settings.js';
import { describeDatabase, openStoreForHome, resolveHome } from './cli-context.js';

const VENDOR_SETTINGS: Record<AdminVendor, { keyVariable: string; baseVariable: string; defaultBase: string; description: string }> = {
  openai: { keyVariable: 'OPENAI_ADMIN_KEY', baseVariable: 'OPENAI_BASE_URL', defaultBase: 'https://api.openai.com/v1', description: 'OpenAI admin key' },
  anthropic: { keyVariable: 'ANTHROPIC_ADMIN_KEY', baseVariable: 'ANTHROPIC_BASE_URL', defaultBase: 'https://api.anthropic.com', description: 'Anthropic admin key' },
};

export function adminClientFor(vendor: AdminVendor, environment: NodeJS.ProcessEnv = process.env): AdminClient {
  const settings = VENDOR_SETTINGS[vendor];
  const adminKey = loadSecretSetting({ value: undefined, settingName: 'adminKey', environmentVariable: settings.keyVariable, description: settings.description, environment });
  const baseUrl = loadBaseUrl({ value: undefined, settingName: 'baseUrl', environmentVariable: settings.baseVariable, description: `${vendor} base URL`, defaultValue: settings.defaultBase, environment });
  return createAdminClient({ vendor, baseUrl, adminKey, keyVariable: settings.keyVariable });
}

/** Whether an admin key is configured for the vendor (`rekey usage` and `inventory` read every configured one). */
export const adminConfigured = (vendor: AdminVendor, environment: NodeJS.ProcessEnv = process.env) => (environment[VENDOR_SETTINGS[vendor].keyVariable] ?? '').trim() !== '';

/** Credential joins when rekey is initialised here; none otherwise (the listing still works). */
export async function loadJoinsIfInitialised(): Promise<Map<string, KeyJoin>> {
  const home = resolveHome();
  const database = describeDatabase(home);
  if (database.databaseUrl === undefined && !existsSync(database.sqlitePath)) return new Map();
  const store = await openStoreForHome(home);
  try {
    return await loadKeyJoins(store);
  } finally {
    await store.close();
  }
}

export interface QueryOutputOptions {
  output?: string;
  filter?: string[];
}

/**
 * Filters, optionally aggregates (`groupBy` non-empty: sums `measures` per group, rows are
 * then the groups) and writes rows to stdout in the chosen format. Unknown filter columns
 * are refused before the first request.
 */
/** `rekey openai keys list | head`: a closed pipe ends the command quietly instead of crashing. */
function endQuietlyOnClosedPipe(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export async function writeQuery(rows: AsyncIterable<Row>, options: QueryOutputOptions & { columns: readonly string[]; groupBy?: readonly string[]; measures?: readonly string[]; money?: readonly string[] }): Promise<number> {
  const format = parseOutputFormat(options.output);
  endQuietlyOnClosedPipe();
  const filters = parseFilters(options.filter, options.columns);
  const writer = createRowWriter(format, options.groupBy !== undefined && options.groupBy.length > 0 ? [...options.groupBy, ...(options.measures ?? [])] : options.columns, streamSink(process.stdout));
  const filtered = filterRows(rows, filters);
  if (options.groupBy === undefined || options.groupBy.length === 0) return writeRows(filtered, writer);
  const groups = await aggregateRows(filtered, options.groupBy, options.measures ?? []);
  for (const group of groups) for (const column of options.money ?? []) if (typeof group[column] === 'number') group[column] = roundMoney(group[column]);
  return writeRows(
    (async function* () {
      yield* groups;
    })(),
    writer,
  );
}

/** Checks filters before any request (a typo fails fast, not after a 90-day read). */
export function checkFilters(filters: string[] | undefined, columns: readonly string[]): void {
  parseFilters(filters, columns);
}
