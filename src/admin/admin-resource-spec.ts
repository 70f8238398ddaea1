/**
 * Admin API resources declared as data (`openai-admin-resources.ts`,
 * `anthropic-admin-resources.ts`): a path, the verbs the API allows, the fields each verb
 * takes, the columns a listing shows. The CLI builds one command per resource and verb
 * from these records, and `resourceRows` / `callResourceVerb` run them, so a new resource
 * is one record, not a new command file.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import type { AdminClient, Query } from './admin-client.js';
import type { Cell, Row } from './admin-query.js';

export type FieldKind = 'string' | 'integer' | 'strings' | 'boolean' | 'file';

export interface FieldSpec {
  /** The option, without dashes: `expires-in-seconds`. */
  flag: string;
  /** Where it goes in the body or query (dotted for nesting); default: the flag with `_`. */
  target?: string;
  kind: FieldKind;
  description: string;
  required?: boolean;
  choices?: readonly string[];
}

export type Verb = 'list' | 'get' | 'create' | 'update' | 'delete';

export interface ActionSpec {
  verb: string;
  summary: string;
  /** Appended to the item path (`/archive`) or, with `onCollection`, to the collection path. */
  suffix: string;
  /** Collection actions send the ids as this body field (`certificate_ids`). */
  idsField?: string;
}

/** Where a resource lives below: none, a project (`--project`), a workspace (`--workspace`). */
export type ScopeKind = 'project' | 'workspace';

export interface ResourceSpec {
  noun: string;
  summary: string;
  /** Collection path; `{scope}` is the project or workspace id. */
  path: string;
  scope?: ScopeKind;
  /** With a scope: the path when the scope is not given (organisation spend alerts); else a listing walks every scope. */
  unscopedPath?: string;
  /** One object, no id (model permissions, spend limit): get / create (set) / delete act on `path`. */
  singleton?: boolean;
  /** The id's field in an item; default `id`. */
  idField?: string;
  columns: readonly string[];
  /** Columns computed from the item rather than read from a dotted path. */
  computed?: Readonly<Record<string, (item: Record<string, unknown>) => Cell>>;
  list?: { query?: readonly FieldSpec[]; pageSize?: number };
  get?: boolean;
  create?: readonly FieldSpec[];
  update?: readonly FieldSpec[];
  delete?: boolean;
  actions?: readonly ActionSpec[];
  /** Constant body fields a write always sends (`currency: USD`). */
  constants?: Readonly<Record<string, unknown>>;
  /** The response field that holds a new key's value: written to `--value-file`, never printed. */
  secretField?: string;
  /** Whether rows are joined with rekey's credentials by this column (a provider key id). */
  joinKeyColumn?: string;
}

export const targetOf = (field: FieldSpec) => field.target ?? field.flag.replaceAll('-', '_');

/** Commander's camel-case property for a flag: `expires-in-seconds` → `expiresInSeconds`. */
export const optionProperty = (flag: string) => flag.replace(/-([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1) ?? path] = value;
}

/** Field values from parsed options → a JSON body (or query), checked: required, integer, choices. */
export function buildFields(fields: readonly FieldSpec[], values: Record<string, unknown>, command: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = values[optionProperty(field.flag)];
    if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
      if (field.required === true) throw new UsageError(`${command}: --${field.flag} is required`, { hint: field.description });
      continue;
    }
    let value: unknown = raw;
    if (field.kind === 'integer') {
      if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw new UsageError(`${command}: --${field.flag} must be a whole number, not "${String(raw)}"`);
      value = Number(raw);
    } else if (field.kind === 'strings') {
      value = (raw as string[]).flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== '');
    } else if (field.kind === 'file') {
      try {
        value = readFileSync(String(raw), 'utf8');
      } catch {
        throw new UsageError(`${command}: --${field.flag}: cannot read ${String(raw)}`);
      }
    }
    if (field.choices !== undefined && !field.choices.includes(String(value))) {
      throw new UsageError(`${command}: --${field.flag} must be one of ${field.choices.join(', ')}, not "${String(value)}"`);
    }
    setPath(body, targetOf(field), value);
  }
  return body;
}

/** Nested objects become dotted columns; numbers in `*_at` columns (unix seconds) become ISO times. */
export function flattenItem(item: Record<string, unknown>, prefix = '', into: Row = {}): Row {
  for (const [key, value] of Object.entries(item)) {
    const column = `${prefix}${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flattenItem(value as Record<string, unknown>, `${column}.`, into);
    else if (Array.isArray(value)) into[column] = value.every((entry) => typeof entry === 'string') ? value.join(';') : JSON.stringify(value);
    else if (typeof value === 'number' && /_at$/.test(key)) into[column] = new Date(value * 1000).toISOString().replace('.000Z', 'Z');
    else into[column] = value === undefined ? null : (value as Cell);
  }
  return into;
}

export function rowOf(spec: ResourceSpec, item: Record<string, unknown>, extra: Row = {}): Row {
  const flat = flattenItem(item);
  const row: Row = { ...extra };
  for (const column of spec.columns) {
    const compute = spec.computed?.[column];
    row[column] = compute !== undefined ? compute(item) : (flat[column] ?? row[column] ?? null);
  }
  return row;
}

export const scopePath = (spec: ResourceSpec, scope: string | undefined) =>
  scope === undefined ? (spec.unscopedPath ?? spec.path) : spec.path.replace('{scope}', encodeURIComponent(scope));

export const itemPath = (spec: ResourceSpec, scope: string | undefined, id: string | undefined) =>
  spec.singleton === true || id === undefined ? scopePath(spec, scope) : `${scopePath(spec, scope)}/${encodeURIComponent(id)}`;

/**
 * Every item of a listing as rows. With a scope kind but no scope given (and no unscoped
 * path), it walks every scope the `scopes` listing yields and adds its id as a column.
 */
export async function* resourceRows(client: AdminClient, spec: ResourceSpec, options: { scope?: string | undefined; query?: Query; scopes?: () => AsyncIterable<string> }): AsyncGenerator<Row> {
  const scopeColumn = spec.scope === 'workspace' ? 'workspace_id' : 'project_id';
  const walk = spec.scope !== undefined && options.scope === undefined && spec.unscopedPath === undefined;
  const scopes: AsyncIterable<string | undefined> = walk && options.scopes !== undefined ? options.scopes() : single(options.scope);
  for await (const scope of scopes) {
    const extra: Row = spec.scope === undefined || scope === undefined ? {} : { [scopeColumn]: scope };
    for await (const item of client.list({ operation: `list ${spec.noun}`, path: scopePath(spec, scope), query: options.query }, spec.list?.pageSize)) {
      yield rowOf(spec, item, extra);
    }
  }
}

async function* single(value: string | undefined): AsyncGenerator<string | undefined> {
  yield value;
}

/** The columns a listing prints: the scope column first when it walks every scope. */
export function listColumns(spec: ResourceSpec, walking: boolean): string[] {
  const scopeColumn = spec.scope === 'workspace' ? 'workspace_id' : 'project_id';
  return walking && !spec.columns.includes(scopeColumn) ? [scopeColumn, ...spec.columns] : [...spec.columns];
}

/** A create's body: the constants of the resource under the fields given. */
export function withConstants(spec: ResourceSpec, body: Record<string, unknown>): Record<string, unknown> {
  const merged = structuredClone(body);
  for (const [path, value] of Object.entries(spec.constants ?? {})) {
    const parts = path.split('.');
    let node = merged;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1) ?? path] ??= value;
  }
  return merged;
}
