/**
 * Regenerates `src/emulator/spec/openai-openapi.pruned.json` from the full official OpenAI
 * OpenAPI file: keeps only the operations the emulator implements and every component they
 * reference (transitively), drops the docs-only `x-oaiMeta` blocks.
 *
 *   npm run build && node dist/scripts/prune-openapi.js [full-openapi.yaml] [output.json]
 *
 * Defaults: ../shared/reference/openai-openapi.yaml → src/emulator/spec/openai-openapi.pruned.json.
 * The source file is MIT licensed (OpenAI); the notice sits beside the output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { OPENAI_IMPLEMENTED_OPERATIONS, type HttpMethod } from '../src/emulator/spec/openai-implemented-operations.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A deep copy without `x-oaiMeta` (long docs examples, not part of any schema). */
function strip(value: Json): Json {
  if (Array.isArray(value)) return value.map(strip);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'x-oaiMeta').map(([key, inner]) => [key, strip(inner)]));
}

function collectRefs(value: Json, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, found);
  } else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.add(inner);
      else collectRefs(inner, found);
    }
  }
}

export function pruneOpenApi(document: JsonObject, operations: ReadonlyArray<readonly [HttpMethod, string]>): JsonObject {
  const sourcePaths = document['paths'];
  const components = document['components'];
  if (!isObject(sourcePaths) || !isObject(components)) throw new Error('not an OpenAPI document: paths or components missing');
  const paths: JsonObject = {};
  for (const [method, path] of operations) {
    const item = sourcePaths[path];
    const operation = isObject(item) ? item[method] : undefined;
    if (operation === undefined) throw new Error(`the OpenAPI document has no ${method.toUpperCase()} ${path}`);
    const target = (paths[path] ??= {}) as JsonObject;
    if (isObject(item) && item['parameters'] !== undefined) target['parameters'] = strip(item['parameters']);
    target[method] = strip(operation);
  }
  // Transitive closure over `#/components/<section>/<name>` references.
  const kept: Record<string, JsonObject> = {};
  const pending = new Set<string>();
  collectRefs(paths, pending);
  const seen = new Set<string>();
  for (let reference = first(pending); reference !== undefined; reference = first(pending)) {
    pending.delete(reference);
    if (seen.has(reference)) continue;
    seen.add(reference);
    const match = /^#\/components\/([^/]+)\/([^/]+)$/.exec(reference);
    if (match?.[1] === undefined || match[2] === undefined) throw new Error(`unsupported $ref ${reference}`);
    const section = components[match[1]];
    const target = isObject(section) ? section[match[2]] : undefined;
    if (target === undefined) throw new Error(`dangling $ref ${reference}`);
    const copy = strip(target);
    (kept[match[1]] ??= {})[match[2]] = copy;
    const inner = new Set<string>();
    collectRefs(copy, inner);
    for (const next of inner) if (!seen.has(next)) pending.add(next);
  }
  const sortedComponents = Object.fromEntries(
    Object.entries(kept)
      .sort(([left], [right]) => left.localeCompare(right))
      .map(([section, entries]) => [section, Object.fromEntries(Object.entries(entries).sort(([left], [right]) => left.localeCompare(right)))]),
  );
  const prunedComponents: JsonObject = { ...sortedComponents };
  if (isObject(components['securitySchemes'])) prunedComponents['securitySchemes'] = strip(components['securitySchemes']);
  return {
    openapi: document['openapi'] ?? null,
    info: document['info'] ?? null,
    'x-rekey-pruned': {
      note: 'Pruned copy of the official OpenAI OpenAPI description (MIT, see openai-openapi.LICENSE): only the operations the rekey emulator implements and the components they reference.',
      operations: operations.length,
      regenerate: 'npm run build && node dist/scripts/prune-openapi.js <full openapi.yaml>',
    },
    servers: document['servers'] ?? null,
    security: document['security'] ?? null,
    paths,
    components: prunedComponents,
  };
}

function first(set: Set<string>): string | undefined {
  for (const value of set) return value;
  return undefined;
}

function main(argv: string[]): void {
  const input = resolve(argv[0] ?? '../shared/reference/openai-openapi.yaml');
  const output = resolve(argv[1] ?? 'src/emulator/spec/openai-openapi.pruned.json');
  const document = parse(readFileSync(input, 'utf8'), { maxAliasCount: -1 }) as JsonObject;
  const pruned = pruneOpenApi(document, OPENAI_IMPLEMENTED_OPERATIONS);
  writeFileSync(output, JSON.stringify(pruned, null, 1) + '\n');
  const schemas = (pruned['components'] as JsonObject)['schemas'];
  console.log(`wrote ${output}: ${OPENAI_IMPLEMENTED_OPERATIONS.length} operations, ${isObject(schemas) ? Object.keys(schemas).length : 0} schemas`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
