/**
 * The OpenAPI 3.1 document of the management API, generated from the same route list
 * (and zod schemas) that the app validates with, so the document cannot drift from what
 * the server accepts. JSON Schema 2020-12 is OpenAPI 3.1's own dialect; schemas that
 * carry an `id` in their zod metadata become named components.
 */
import { z } from 'zod';
import type { ApiRoute } from './api-route.js';
import { apiErrorSchema } from './api-schemas.js';

type JsonObject = Record<string, unknown>;

export interface OpenApiExtraPath {
  path: string;
  method: 'get' | 'post';
  summary: string;
  tag: string;
  security: 'none' | 'read-token';
  responses: Record<string, { description: string; schema?: z.ZodType | undefined }>;
  parameters?: JsonObject[] | undefined;
  requestBody?: z.ZodType | undefined;
}

/** `#/$defs/X` → `#/components/schemas/X`, throughout. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, key === '$ref' && typeof item === 'string' ? item.replace(/^#\/\$defs\//, '#/components/schemas/') : relink(item)]),
  );
}

function schemaOf(schema: z.ZodType, components: JsonObject, io: 'input' | 'output'): JsonObject {
  const converted = relink(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' })) as JsonObject;
  const definitions = (converted['$defs'] ?? {}) as Record<string, JsonObject>;
  for (const [id, definition] of Object.entries(definitions)) components[id] = definition;
  const { $schema: _schema, $defs: _defs, ...rest } = converted;
  return rest;
}

/** Path and query parameters from an object schema. */
function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query', components: JsonObject): JsonObject[] {
  if (schema === undefined) return [];
  const converted = schemaOf(schema, components, 'input');
  const properties = (converted['properties'] ?? {}) as Record<string, JsonObject>;
  const required = new Set((converted['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof property['description'] === 'string' ? { description: property['description'] } : {}),
    schema: property,
  }));
}

const errorResponses = (components: JsonObject, statuses: string[]): Record<string, JsonObject> => {
  const descriptions: Record<string, string> = {
    '400': 'Bad input: the message names the field',
    '401': 'No live session (sign in with POST /v1/auth/login)',
    '403': 'Refused: the error names the capability and the scope',
    '404': 'Not found',
    '409': 'Conflict (a rotation in progress, a race)',
  };
  const schema = schemaOf(apiErrorSchema, components, 'output');
  return Object.fromEntries(statuses.map((status) => [status, { description: descriptions[status] ?? 'Error', content: { 'application/json': { schema } } }]));
};

export function buildOpenApiDocument(routes: readonly ApiRoute[], extra: readonly OpenApiExtraPath[], info: { version: string }): JsonObject {
  const components: JsonObject = {};
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const operation: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parametersOf(route.params, 'path', components), ...parametersOf(route.query, 'query', components)],
      responses: {
        [String(route.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: schemaOf(route.response, components, 'output') } } },
        ...errorResponses(components, route.auth === 'none' ? ['400', '401'] : ['400', '401', '403', '404', '409']),
      },
      security: route.auth === 'none' ? [] : route.auth === 'byok-token' ? [{ byokToken: [] }] : [{ session: [] }],
    };
    if (route.access !== undefined) operation['x-rekey-authorization'] = 'a capability on the target (see the 403 error body)';
    if (route.body !== undefined) operation['requestBody'] = { required: true, content: { 'application/json': { schema: schemaOf(route.body, components, 'input') } } };
    (paths[route.path] ??= {})[route.method] = operation;
  }
  for (const entry of extra) {
    const operation: JsonObject = {
      summary: entry.summary,
      tags: [entry.tag],
      parameters: entry.parameters ?? [],
      responses: Object.fromEntries(
        Object.entries(entry.responses).map(([status, response]) => [
          status,
          response.schema === undefined ? { description: response.description } : { description: response.description, content: { 'application/json': { schema: schemaOf(response.schema, components, 'output') } } },
        ]),
      ),
      security: entry.security === 'none' ? [] : [{ readToken: [] }],
    };
    if (entry.requestBody !== undefined) operation['requestBody'] = { required: true, content: { 'application/json': { schema: schemaOf(entry.requestBody, components, 'input') } } };
    (paths[entry.path] ??= {})[entry.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'rekey server API', version: info.version, description: 'Key delivery to applications (read tokens) and the management API for people (sessions, roles).' },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', description: 'A session token from POST /v1/auth/login (rk_ses_…)' },
        readToken: { type: 'http', scheme: 'bearer', description: 'An application read token (rk_read_…)' },
        byokToken: { type: 'http', scheme: 'bearer', description: "A SaaS application's BYOK service token, scoped to tenants (rk_byok_…)" },
      },
    },
  };
}
