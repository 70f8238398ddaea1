/**
 * `rekey openai …` and `rekey anthropic …`: one command per Admin API resource and verb,
 * built from the resource tables in `src/admin/` (list, get, create, update, delete and
 * actions such as archive where the API allows them), plus the reports (usage of every
 * kind, costs, audit logs, the Claude Code report). Changes ask for confirmation
 * (`--yes` off a terminal) and `--dry-run` prints the request without sending it; a new
 * key's value goes only to `--value-file` (mode 0600), never to the terminal.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { AdminClient, AdminVendor, Query } from '../../admin/admin-client.js';
import { parseBucket, parseGroupBy, parseTimeRange, type Row } from '../../admin/admin-query.js';
import { buildFields, flattenItem, itemPath, listColumns, resourceRows, scopePath, withConstants, type FieldSpec, type ResourceSpec } from '../../admin/admin-resource-spec.js';
import { ANTHROPIC_COSTS, ANTHROPIC_USAGE, CLAUDE_CODE_COLUMNS, CLAUDE_CODE_MEASURES, claudeCodeRows, OPENAI_COSTS, OPENAI_USAGE_REPORTS, reportColumns, reportRows, type ReportSpec } from '../../admin/admin-reports.js';
import { ANTHROPIC_RESOURCES } from '../../admin/anthropic-admin-resources.js';
import { JOIN_COLUMNS, joinRow } from '../../admin/credential-join.js';
import { OPENAI_RESOURCES } from '../../admin/openai-admin-resources.js';
import { adminClientFor, checkFilters, loadJoinsIfInitialised, writeQuery } from '../admin-wiring.js';
import { collect } from '../cli-options.js';
import { confirm } from '../secret-input.js';

interface CommonOptions {
  output?: string;
  filter?: string[];
  project?: string;
  workspace?: string;
  dryRun?: boolean;
  yes?: boolean;
  valueFile?: string;
  [flag: string]: unknown;
}

const scopeFlag = (spec: ResourceSpec) => (spec.scope === 'workspace' ? 'workspace' : 'project');
const scopeOf = (spec: ResourceSpec, options: CommonOptions) => (spec.scope === undefined ? undefined : spec.scope === 'workspace' ? options.workspace : options.project);

function requireScope(spec: ResourceSpec, options: CommonOptions, command: string): string | undefined {
  const scope = scopeOf(spec, options);
  if (spec.scope !== undefined && scope === undefined && spec.unscopedPath === undefined) {
    throw new UsageError(`${command}: --${scopeFlag(spec)} is required`, { hint: `list them with \`rekey ${spec.scope === 'workspace' ? 'anthropic workspaces' : 'openai projects'} list\`` });
  }
  return scope;
}

function addFieldOptions(command: Command, fields: readonly FieldSpec[] | undefined): Command {
  for (const field of fields ?? []) {
    if (field.kind === 'boolean') command.option(`--${field.flag}`, field.description);
    else if (field.kind === 'strings') command.option(`--${field.flag} <value>`, `${field.description}${field.required === true ? ' (required)' : ''}`, collect);
    else command.option(`--${field.flag} <${field.kind === 'file' ? 'file' : 'value'}>`, `${field.description}${field.choices === undefined ? '' : ` (${field.choices.join('|')})`}${field.required === true ? ' (required)' : ''}`);
  }
  return command;
}

const withOutput = (command: Command) => command.option('--output <format>', 'table, json, ndjson, csv or yaml', 'table').option('--filter <column=value>', 'keep rows where column=value, column!=value or column~text (repeatable)', collect);
const withChange = (command: Command) =>
  command.option('--dry-run', 'print the request without sending it').option('--yes', 'do not ask for confirmation');
const withScope = (command: Command, spec: ResourceSpec, required: boolean) =>
  spec.scope === undefined ? command : command.option(`--${scopeFlag(spec)} <id>`, `${spec.scope} id${required && spec.unscopedPath === undefined ? ' (required)' : spec.unscopedPath !== undefined ? ' (else the organisation)' : ' (else every one)'}`);

/** Prints one object (get, create, update, delete answers) as a one-row listing of all its fields. */
async function writeObject(body: unknown, options: CommonOptions, secretField: string | undefined): Promise<void> {
  const item = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const flat = flattenItem(item);
  if (secretField !== undefined) delete flat[secretField];
  await writeQuery(
    (async function* () {
      yield flat;
    })(),
    { output: options.output, filter: [], columns: Object.keys(flat) },
  );
}

/** A change goes out only after confirmation; `--dry-run` shows it and stops. Returns whether to send. */
async function approveChange(vendor: AdminVendor, method: string, path: string, body: unknown, options: CommonOptions): Promise<boolean> {
  const fields = body === undefined ? '' : ` with ${Object.keys(body as object).join(', ') || 'an empty body'}`;
  const description = `${method} ${path}${fields}`;
  if (options.dryRun === true) {
    process.stdout.write(`dry run: would send ${vendor} ${description}\n`);
    if (body !== undefined) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return false;
  }
  await confirm(`${vendor}: ${description}`, options.yes);
  return true;
}

function secretOf(body: unknown, field: string): string | undefined {
  let node: unknown = body;
  for (const part of field.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return typeof node === 'string' ? node : undefined;
}

/** The scopes a listing walks when no scope is given: every project, or every workspace. */
function scopesOf(client: AdminClient, vendor: AdminVendor): () => AsyncGenerator<string> {
  return async function* () {
    const path = vendor === 'openai' ? '/organization/projects' : '/organizations/workspaces';
    for await (const item of client.list({ operation: `list ${vendor === 'openai' ? 'projects' : 'workspaces'}`, path })) if (typeof item['id'] === 'string') yield item['id'];
  };
}

function registerResource(parent: Command, vendor: AdminVendor, spec: ResourceSpec): void {
  const noun = parent.command(spec.noun).description(spec.summary);
  const name = (verb: string) => `rekey ${vendor} ${spec.noun} ${verb}`;
  const client = () => adminClientFor(vendor);

  if (spec.list !== undefined) {
    const command = withOutput(withScope(noun.command('list').description(`List ${spec.noun} (every page, streamed)`), spec, false));
    addFieldOptions(command, spec.list.query).action(async (options: CommonOptions) => {
      const scope = scopeOf(spec, options);
      const walking = spec.scope !== undefined && scope === undefined && spec.unscopedPath === undefined;
      const columns = [...listColumns(spec, walking), ...(spec.joinKeyColumn === undefined ? [] : JOIN_COLUMNS)];
      checkFilters(options.filter, columns);
      const query = buildFields(spec.list?.query ?? [], options, name('list')) as Query;
      const admin = client();
      const joins = spec.joinKeyColumn === undefined ? new Map() : await loadJoinsIfInitialised();
      const rows = resourceRows(admin, spec, { scope, query, scopes: scopesOf(admin, vendor) });
      const joined = spec.joinKeyColumn === undefined ? rows : mapRows(rows, (row) => joinRow(row, vendor, joins, spec.joinKeyColumn));
      await writeQuery(joined, { output: options.output, filter: options.filter, columns });
    });
  }
  const singleton = spec.singleton === true;
  if (spec.get === true) {
    const command = withScope(noun.command(singleton ? 'get' : 'get <id>').description(`Show one of ${spec.noun}`), spec, true).option('--output <format>', 'table, json, ndjson, csv or yaml', 'table');
    command.action(async (...args: unknown[]) => {
      const [id, options] = singleton ? [undefined, args[0] as CommonOptions] : [args[0] as string, args[1] as CommonOptions];
      const scope = requireScope(spec, options, name('get'));
      await writeObject(await client().request({ operation: `get ${spec.noun}`, method: 'GET', path: itemPath(spec, scope, id) }), options, spec.secretField);
    });
  }
  const writes: Array<[string, readonly FieldSpec[] | undefined, 'create' | 'update']> = [
    [singleton ? 'set' : 'create', spec.create, 'create'],
    ['update', spec.update, 'update'],
  ];
  for (const [verb, fields, kind] of writes) {
    if (fields === undefined) continue;
    const takesId = kind === 'update' && !singleton;
    let command = withChange(withScope(noun.command(takesId ? `${verb} <id>` : verb).description(`${verb === 'set' ? 'Set' : kind === 'create' ? 'Create' : 'Update'} ${singleton ? 'it' : `one of ${spec.noun}`}`), spec, true));
    command = addFieldOptions(command, fields).option('--output <format>', 'table, json, ndjson, csv or yaml', 'table');
    if (kind === 'create' && spec.secretField !== undefined) command.option('--value-file <file>', 'write the new key value to this file (mode 0600); required, it is shown nowhere else');
    command.action(async (...args: unknown[]) => {
      const [id, options] = takesId ? [args[0] as string, args[1] as CommonOptions] : [undefined, args[0] as CommonOptions];
      const scope = requireScope(spec, options, name(verb));
      const fieldsGiven = buildFields(fields, options, name(verb));
      if (kind === 'update' && Object.keys(fieldsGiven).length === 0) throw new UsageError(`${name(verb)}: nothing to change`, { hint: `give one of ${fields.map((field) => `--${field.flag}`).join(', ')}` });
      if (kind === 'create' && spec.secretField !== undefined && options.valueFile === undefined && options.dryRun !== true) {
        throw new UsageError(`${name(verb)}: --value-file is required`, { hint: 'the new key value is returned once and written only to that file' });
      }
      const body = kind === 'create' ? withConstants(spec, fieldsGiven) : fieldsGiven;
      const path = kind === 'create' ? scopePath(spec, scope) : itemPath(spec, scope, id);
      if (!(await approveChange(vendor, 'POST', path, body, options))) return;
      const answer = await client().request({ operation: `${verb} ${spec.noun}`, method: 'POST', path, body });
      const secret = spec.secretField === undefined ? undefined : secretOf(answer, spec.secretField);
      if (secret !== undefined && options.valueFile !== undefined) {
        writeFileSync(options.valueFile, `${secret}\n`, { mode: 0o600, flag: 'wx' });
        process.stderr.write(`the new key value is in ${options.valueFile} (mode 0600)\n`);
      }
      await writeObject(answer, options, spec.secretField);
    });
  }
  if (spec.delete === true) {
    const command = withChange(withScope(noun.command(singleton ? 'delete' : 'delete <id>').description(`Delete ${singleton ? 'it' : `one of ${spec.noun}`}`), spec, true)).option('--output <format>', 'table, json, ndjson, csv or yaml', 'table');
    command.action(async (...args: unknown[]) => {
      const [id, options] = singleton ? [undefined, args[0] as CommonOptions] : [args[0] as string, args[1] as CommonOptions];
      const scope = requireScope(spec, options, name('delete'));
      const path = itemPath(spec, scope, id);
      if (!(await approveChange(vendor, 'DELETE', path, undefined, options))) return;
      await writeObject(await client().request({ operation: `delete ${spec.noun}`, method: 'DELETE', path }), options, undefined);
    });
  }
  for (const action of spec.actions ?? []) {
    const many = action.idsField !== undefined;
    const command = withChange(withScope(noun.command(`${action.verb} ${many ? '<ids...>' : '<id>'}`).description(action.summary), spec, true)).option('--output <format>', 'table, json, ndjson, csv or yaml', 'table');
    command.action(async (ids: string | string[], options: CommonOptions) => {
      const scope = requireScope(spec, options, name(action.verb));
      const list = Array.isArray(ids) ? ids : [ids];
      const path = many ? `${scopePath(spec, scope)}${action.suffix}` : `${itemPath(spec, scope, list[0])}${action.suffix}`;
      const body = many ? { [action.idsField ?? 'ids']: list } : undefined;
      if (!(await approveChange(vendor, 'POST', path, body, options))) return;
      const answer = await client().request({ operation: `${action.verb} ${spec.noun}`, method: 'POST', path, body });
      await writeObject(answer, options, undefined);
    });
  }
}

async function* mapRows(rows: AsyncIterable<Row>, map: (row: Row) => Row): AsyncGenerator<Row> {
  for await (const row of rows) yield map(row);
}

interface ReportOptions extends CommonOptions {
  since?: string;
  from?: string;
  to?: string;
  bucket?: string;
  groupBy?: string[];
}

const withRange = (command: Command, buckets: readonly string[]) =>
  withOutput(command)
    .option('--since <time>', 'start: relative (7d, 12h, 30m, 2w), a date or date-time (UTC), or unix seconds; default 7d')
    .option('--from <time>', 'start (same forms as --since)')
    .option('--to <time>', 'end (default now)')
    .option('--bucket <width>', `bucket width: ${buckets.join(', ')}`, buckets.includes('1d') ? '1d' : buckets[0])
    .option('--group-by <columns>', 'sum over the range per group: project, workspace, key, model, user, line-item, day, credential, owner, environment (comma-separated or repeated)', collect);

/** Runs one report with grouping and joins; exported for `rekey usage`. */
export async function runReport(spec: ReportSpec, options: ReportOptions, clientFor: () => AdminClient = () => adminClientFor(spec.vendor)): Promise<void> {
  const keyed = spec.apiGroups.includes('api_key_id');
  const columns = [...reportColumns(spec), ...(keyed ? JOIN_COLUMNS : [])];
  const groupBy = parseGroupBy(options.groupBy, columns.filter((column) => !spec.measures.includes(column) && column !== 'start'));
  checkFilters(options.filter, columns);
  const range = parseTimeRange(options, Date.now());
  const bucket = parseBucket(options.bucket, spec.buckets);
  const needsJoin = keyed && groupBy.some((column) => (JOIN_COLUMNS as readonly string[]).includes(column));
  const apiGroupBy = [...new Set([...groupBy.filter((column) => spec.apiGroups.includes(column)), ...(needsJoin ? ['api_key_id'] : [])])];
  const joins = keyed ? await loadJoinsIfInitialised() : new Map();
  const rows = reportRows(clientFor(), spec, { range, bucket, apiGroupBy });
  await writeQuery(keyed ? mapRows(rows, (row) => joinRow(row, spec.vendor, joins)) : rows, { output: options.output, filter: options.filter, columns, groupBy, measures: spec.measures, money: ['amount_usd'] });
}

function registerReport(parent: Command, spec: ReportSpec, words: string): void {
  withRange(parent.command(words).description(spec.summary), spec.buckets).action((options: ReportOptions) => runReport(spec, options));
}

function registerAuditLogs(parent: Command): void {
  const spec: ResourceSpec = {
    noun: 'audit-logs',
    summary: 'The organisation audit log, newest first',
    path: '/organization/audit_logs',
    columns: ['id', 'type', 'effective_at', 'project.id', 'actor', 'resource_id'],
    computed: {
      actor: (item) => {
        const actor = (item['actor'] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
        const email = actor['session']?.['user']?.['email'] ?? actor['api_key']?.['user']?.['email'];
        return typeof email === 'string' ? email : null;
      },
      resource_id: (item) => {
        const details = item[String(item['type'])];
        const id = details !== null && typeof details === 'object' ? (details as Record<string, unknown>)['id'] : undefined;
        return typeof id === 'string' ? id : null;
      },
    },
  };
  withOutput(parent.command('audit-logs').description(spec.summary))
    .option('--since <time>', 'only events at or after (relative, date, date-time or unix seconds)')
    .option('--to <time>', 'only events before')
    .option('--type <event>', 'only this event type, e.g. api_key.created (repeatable)', collect)
    .option('--project <id>', 'only events of this project (repeatable)', collect)
    .option('--actor-email <email>', 'only events by this person (repeatable)', collect)
    .action(async (options: ReportOptions & { type?: string[]; project?: unknown; actorEmail?: string[] }) => {
      checkFilters(options.filter, spec.columns);
      const query: Query = { event_types: options.type, project_ids: options.project as string[] | undefined, actor_emails: options.actorEmail };
      if (options.since !== undefined || options.to !== undefined) {
        const range = parseTimeRange({ since: options.since ?? '400d', to: options.to }, Date.now());
        if (options.since !== undefined) query['effective_at[gte]'] = Math.floor(range.startMs / 1000);
        if (options.to !== undefined) query['effective_at[lt]'] = Math.floor(range.endMs / 1000);
      }
      await writeQuery(resourceRows(adminClientFor('openai'), spec, { query }), { output: options.output, filter: options.filter, columns: spec.columns });
    });
}

export function registerOpenAI(program: Command): void {
  const openai = program.command('openai').description('OpenAI Admin API: users, invites, projects, service accounts, keys, admin keys, rate limits, model permissions, spend limits and alerts, certificates, usage, costs, audit logs');
  for (const spec of OPENAI_RESOURCES) registerResource(openai, 'openai', spec);
  const usage = openai.command('usage').description('Usage of one kind: completions, embeddings, moderations, images, audio-speeches, audio-transcriptions, vector-stores, code-interpreter-sessions, file-search-calls, web-search-calls');
  for (const spec of OPENAI_USAGE_REPORTS) {
    const command = usage.command(spec.name.replaceAll('_', '-')).description(spec.summary);
    if (spec.name.includes('_')) command.alias(spec.name);
    withRange(command, spec.buckets).action((options: ReportOptions) => runReport(spec, options));
  }
  registerReport(openai, OPENAI_COSTS, 'costs');
  registerAuditLogs(openai);
}

export function registerAnthropic(program: Command): void {
  const anthropic = program.command('anthropic').description('Anthropic Admin API: users, invites, workspaces and members, keys, usage, costs and the Claude Code report');
  for (const spec of ANTHROPIC_RESOURCES) registerResource(anthropic, 'anthropic', spec);
  registerReport(anthropic, ANTHROPIC_USAGE, 'usage');
  registerReport(anthropic, ANTHROPIC_COSTS, 'costs');
  withOutput(anthropic.command('claude-code').description('Claude Code usage per person and day (sessions, lines, commits, tokens, cost in USD)'))
    .option('--since <time>', 'start (default 7d)')
    .option('--from <time>', 'start')
    .option('--to <time>', 'end (default now)')
    .option('--group-by <columns>', 'sum per group: actor, day, model, terminal_type', collect)
    .action(async (options: ReportOptions) => {
      const groupBy = parseGroupBy(options.groupBy, ['day', 'actor', 'terminal_type', 'model']);
      checkFilters(options.filter, CLAUDE_CODE_COLUMNS);
      const range = parseTimeRange(options, Date.now());
      await writeQuery(claudeCodeRows(adminClientFor('anthropic'), range), { output: options.output, filter: options.filter, columns: CLAUDE_CODE_COLUMNS, groupBy, measures: CLAUDE_CODE_MEASURES, money: ['cost_usd'] });
    });
}
