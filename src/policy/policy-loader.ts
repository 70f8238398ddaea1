/**
 * Loads rekey.yaml with its includes into one validated `RekeyFile` plus a map from every
 * field to the file, line and column it came from. Includes are merged first, in order,
 * and the including file overrides them (an overlay is a file that includes its base and
 * changes what differs). Mappings merge key by key; a scalar or a list replaces. Every
 * problem names the file, line, column and field, says what was expected, and suggests
 * the closest known field for an unknown one.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { closestName } from './did-you-mean.js';
import { rekeyFileSchema, type RekeyFile } from './policy-schema.js';
import { pointerOf, readYamlSource, type SourceLocation, type SourceProblem, type YamlSource } from './yaml-source.js';

const MAX_FILES = 100;
const MAX_DEPTH = 8;
const MAX_PROBLEMS = 50;

export interface LoadedPolicyFile {
  file: RekeyFile;
  /** The files read, main file first. */
  files: string[];
  /** Where a field is (nearest recorded ancestor when the field itself was defaulted). */
  locate(path: ReadonlyArray<string | number>): SourceLocation;
  /** The location of a mapping key (e.g. a credential's name), else of its value. */
  locateKey(path: ReadonlyArray<string | number>): SourceLocation;
  /** The directory of the main file: relative paths in the file are relative to it. */
  baseDirectory: string;
}

export class PolicyFileError extends ConfigError {
  readonly problems: SourceProblem[];

  constructor(problems: SourceProblem[]) {
    const first = problems[0];
    const head = first === undefined ? 'rekey.yaml is invalid' : formatProblem(first);
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(`${head}${more}`, { hint: problems.length > 1 ? problems.slice(1, 6).map(formatProblem).join('\n      ') : undefined });
    this.problems = problems;
  }
}

export function formatProblem(problem: SourceProblem): string {
  const field = problem.field === '' ? '' : ` ${problem.field}:`;
  return `${problem.file}:${problem.line}:${problem.column}:${field} ${problem.message}`;
}

type Json = unknown;
const isPlainObject = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

interface Merged {
  value: Json;
  values: Map<string, SourceLocation>;
  keys: Map<string, SourceLocation>;
}

/** Removes `pointer` itself (when `inclusive`) and everything under it. */
function dropUnder(map: Map<string, SourceLocation>, pointer: string, inclusive: boolean): void {
  for (const key of [...map.keys()]) if ((inclusive && key === pointer) || key.startsWith(`${pointer}/`)) map.delete(key);
}

function copyUnder(from: Map<string, SourceLocation>, to: Map<string, SourceLocation>, pointer: string, inclusive: boolean): void {
  for (const [key, location] of from) if ((inclusive && key === pointer) || key.startsWith(`${pointer}/`)) to.set(key, location);
}

/** Deep-merges `value` (from `source`) at `path` over what `target` holds, keeping locations. */
function mergeInto(target: Merged, source: YamlSource, value: Json, path: Array<string | number>, skipInclude: boolean): Json {
  const pointer = pointerOf(path);
  const existing = path.reduce<Json>((node, part) => (isPlainObject(node) ? node[String(part)] : undefined), target.value);
  if (isPlainObject(value) && isPlainObject(existing)) {
    for (const [key, inner] of Object.entries(value)) {
      if (skipInclude && path.length === 0 && key === 'include') continue;
      const childPath = [...path, key];
      existing[key] = mergeInto(target, source, inner, childPath, false);
      const keyLocation = source.keys.get(pointerOf(childPath));
      if (keyLocation !== undefined) target.keys.set(pointerOf(childPath), keyLocation);
    }
    return existing;
  }
  // A scalar, a list, or a mapping where there was none: this source now owns the subtree.
  dropUnder(target.values, pointer, true);
  dropUnder(target.keys, pointer, false);
  copyUnder(source.values, target.values, pointer, true);
  copyUnder(source.keys, target.keys, pointer, false);
  return structuredClone(value);
}

interface ReadState {
  root: string;
  cwd: string;
  seen: string[];
  problems: SourceProblem[];
  order: YamlSource[];
}

function labelOf(state: ReadState, absolute: string): string {
  const shown = relative(state.cwd, absolute);
  return shown === '' || shown.startsWith('..') ? absolute : shown;
}

/** Reads `path` and, depth first, the files it includes; fills `state.order` base-first. */
function readTree(state: ReadState, absolute: string, stack: string[], from: SourceLocation | undefined): void {
  const label = labelOf(state, absolute);
  if (stack.includes(absolute)) {
    const at = from ?? { file: label, line: 1, column: 1 };
    state.problems.push({ ...at, field: 'include', message: `includes ${label} again: include cycle ${[...stack, absolute].map((file) => labelOf(state, file)).join(' → ')}` });
    return;
  }
  if (stack.length > MAX_DEPTH || state.seen.length >= MAX_FILES) {
    const at = from ?? { file: label, line: 1, column: 1 };
    state.problems.push({ ...at, field: 'include', message: `too many included files (at most ${MAX_FILES}, nested at most ${MAX_DEPTH} deep)` });
    return;
  }
  const result = readYamlSource(absolute, label);
  if (!result.ok) {
    state.problems.push(...result.problems.map((item) => (from !== undefined && item.message.startsWith('does not exist') ? { ...from, field: 'include', message: `${label} does not exist` } : item)));
    return;
  }
  state.seen.push(absolute);
  const { source } = result;
  if (!isPlainObject(source.value)) {
    state.problems.push({ file: label, line: 1, column: 1, field: '', message: 'must be a YAML mapping (version: 1, credentials: …)' });
    return;
  }
  const include = source.value['include'];
  if (include !== undefined) {
    const includeAt = source.values.get('/include') ?? { file: label, line: 1, column: 1 };
    if (!Array.isArray(include) || include.some((item) => typeof item !== 'string')) {
      state.problems.push({ ...includeAt, field: 'include', message: 'expected a list of relative file paths' });
    } else {
      include.forEach((item: string, index) => {
        const at = source.values.get(`/include/${index}`) ?? includeAt;
        const target = resolve(dirname(absolute), item);
        const inside = relative(state.root, target);
        if (isAbsolute(item) || inside.startsWith(`..${sep}`) || inside === '..') {
          state.problems.push({ ...at, field: `include.${index}`, message: `"${item.slice(0, 100)}" must be a relative path inside ${labelOf(state, state.root) || '.'}` });
          return;
        }
        readTree(state, target, [...stack, absolute], at);
      });
    }
  }
  state.order.push(source);
}

function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** The zod schema at a path, unwrapping optional/default/record/array; undefined when unknown. */
function schemaAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (node: z.ZodType | undefined): z.ZodType | undefined => {
    let inner = node;
    for (let guard = 0; guard < 10 && inner !== undefined; guard += 1) {
      const definition = (inner as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
      if (definition.innerType !== undefined) inner = definition.innerType;
      else if (definition.type === 'pipe' && definition.in !== undefined) inner = definition.in;
      else break;
    }
    return inner;
  };
  for (const part of path) {
    current = unwrap(current);
    if (current === undefined) return undefined;
    const definition = (current as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (definition['type'] === 'object') current = (definition['shape'] as Record<string, z.ZodType>)[String(part)];
    else if (definition['type'] === 'record') current = definition['valueType'] as z.ZodType;
    else if (definition['type'] === 'array') current = definition['element'] as z.ZodType;
    else return undefined;
  }
  return unwrap(current);
}

function knownKeys(path: ReadonlyArray<PropertyKey>): string[] {
  const node = schemaAt(rekeyFileSchema, path);
  const definition = (node as unknown as { _zod?: { def: Record<string, unknown> } } | undefined)?._zod?.def;
  return definition?.['type'] === 'object' ? Object.keys(definition['shape'] as object) : [];
}

export function loadPolicyFile(path: string, options: { cwd?: string } = {}): LoadedPolicyFile {
  const cwd = options.cwd ?? process.cwd();
  const absolute = resolve(cwd, path);
  const state: ReadState = { root: dirname(absolute), cwd, seen: [], problems: [], order: [] };
  readTree(state, absolute, [], undefined);
  if (state.problems.length > 0) throw new PolicyFileError(state.problems.slice(0, MAX_PROBLEMS));

  const merged: Merged = { value: {}, values: new Map(), keys: new Map() };
  for (const source of state.order) mergeInto(merged, source, source.value, [], true);
  const mainLabel = labelOf(state, absolute);
  const fallback: SourceLocation = merged.values.get('') ?? { file: mainLabel, line: 1, column: 1 };
  const locate = (fieldPath: ReadonlyArray<string | number>): SourceLocation => {
    for (let length = fieldPath.length; length >= 0; length -= 1) {
      const found = merged.values.get(pointerOf(fieldPath.slice(0, length)));
      if (found !== undefined) return found;
    }
    return fallback;
  };
  const locateKey = (fieldPath: ReadonlyArray<string | number>): SourceLocation => merged.keys.get(pointerOf(fieldPath)) ?? locate(fieldPath);

  const parsed = rekeyFileSchema.safeParse(merged.value);
  if (!parsed.success) {
    const problems: SourceProblem[] = [];
    for (const issue of parsed.error.issues.slice(0, MAX_PROBLEMS)) {
      const issuePath = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
      if (issue.code === 'unrecognized_keys') {
        const candidates = knownKeys(issue.path);
        for (const key of issue.keys) {
          const suggestion = closestName(key, candidates);
          const at = locateKey([...issuePath, key]);
          problems.push({
            ...at,
            field: [...issuePath, key].join('.'),
            message: `unknown field "${key.slice(0, 80)}"${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}${candidates.length > 0 && suggestion === undefined ? ` (known: ${candidates.join(', ')})` : ''}`,
          });
        }
        continue;
      }
      const at = locate(issuePath);
      const actual = issuePath.reduce<unknown>((node, part) => (isPlainObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[String(part)] : undefined), merged.value);
      let message = issue.message;
      if (issue.code === 'invalid_type') message = `expected ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, got ${describeType(actual)}`;
      else if (issue.code === 'invalid_value' && 'values' in issue) message = `expected one of ${issue.values.map((item) => JSON.stringify(item)).join(', ')}, got ${JSON.stringify(actual)?.slice(0, 60) ?? 'nothing'}`;
      else if (issue.code === 'invalid_key') message = `the name "${String(issuePath.at(-1)).slice(0, 80)}" is not ${issue.issues[0]?.message.replace(/^Invalid string: /, '') ?? 'valid'}`;
      else if (issue.code === 'invalid_format' || (issue.code === 'custom' && typeof actual === 'string')) message = `expected ${issue.message.replace(/^Invalid string: /, '')}, got ${JSON.stringify(String(actual).slice(0, 60))}`;
      problems.push({ ...at, field: issuePath.join('.'), message });
    }
    throw new PolicyFileError(problems);
  }
  return { file: parsed.data, files: state.seen.map((file) => labelOf(state, file)), locate, locateKey, baseDirectory: state.root };
}
