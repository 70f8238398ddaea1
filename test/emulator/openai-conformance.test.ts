/**
 * Conformance: every OpenAI operation the emulator implements is exercised over HTTP and
 * each response body is validated with ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses)
 * against the response schema of the pruned official spec. Error bodies are validated
 * against `ErrorResponse`. The operation list, the emulator's routes and the exercised
 * requests must all be the same set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { buildEmulatorApp, startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createFaultInjector } from '../../src/emulator/emulator-faults.js';
import { createEmulatorState } from '../../src/emulator/emulator-state.js';
import { OPENAI_IMPLEMENTED_OPERATIONS } from '../../src/emulator/spec/openai-implemented-operations.js';
import { pruneOpenApi } from '../../scripts/prune-openapi.js';

const SPEC_PATH = join(import.meta.dirname, '../../src/emulator/spec/openai-openapi.pruned.json');
const FULL_SPEC_PATH = join(import.meta.dirname, '../../../shared/reference/openai-openapi.yaml');
const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/**
 * OpenAPI 3.1 → JSON Schema 2020-12: the file still carries some OpenAPI 3.0 style
 * `nullable: true` (next to `$ref`, `enum` or no `type`), which 2020-12 does not know.
 * Rewrite each to `anyOf: [schema, {type: "null"}]`, which is what it means.
 */
function nullableToAnyOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullableToAnyOf);
  if (value === null || typeof value !== 'object') return value;
  const { nullable, ...rest } = value as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, inner]) => [key, nullableToAnyOf(inner)]));
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, discriminator: true });
addFormats.default(ajv);
ajv.addFormat('unixtime', { type: 'number', validate: (value: number) => Number.isInteger(value) });
ajv.addSchema(nullableToAnyOf(spec) as object, 'openai-spec');

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const compiled = new Map<string, ValidateFunction>();
function validator(reference: string): ValidateFunction {
  const cached = compiled.get(reference);
  if (cached !== undefined) return cached;
  const validate = ajv.compile({ $ref: `openai-spec#/${reference}` });
  compiled.set(reference, validate);
  return validate;
}

function expectValid(reference: string, body: unknown, label: string): void {
  const validate = validator(reference);
  const valid = validate(body);
  expect(valid, `${label}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`).toBe(true);
}

const covered = new Set<string>();
let emulator: RunningEmulator;

interface CallOptions {
  key?: string;
  body?: unknown;
  query?: string;
  status?: number;
}

/** Calls one operation, checks the status, validates the body against the spec, records coverage. */
async function call(method: 'get' | 'post' | 'delete', template: string, values: Record<string, string>, options: CallOptions = {}): Promise<Record<string, unknown>> {
  const path = template.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(values[name] ?? `missing-${name}`));
  const response = await fetch(`${emulator.openaiBaseUrl}${path}${options.query === undefined ? '' : `?${options.query}`}`, {
    method: method.toUpperCase(),
    headers: { authorization: `Bearer ${options.key ?? emulator.adminKeys.openai.reveal()}`, 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  const status = options.status ?? 200;
  expect(response.status, `${method.toUpperCase()} ${template}: ${JSON.stringify(body).slice(0, 300)}`).toBe(status);
  expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  if (status >= 400) {
    expectValid(pointer('components', 'schemas', 'ErrorResponse'), body, `${method} ${template} ${status}`);
  } else {
    const responses = spec.paths[template]?.[method]?.responses;
    expect(responses?.[String(status)], `spec has a ${status} response for ${method} ${template}`).toBeDefined();
    expectValid(pointer('paths', template, method, 'responses', String(status), 'content', 'application/json', 'schema'), body, `${method} ${template}`);
    covered.add(`${method} ${template}`);
  }
  return body;
}

beforeAll(async () => {
  emulator = await startEmulator({ seed: 2026 });
});
afterAll(async () => {
  await emulator.close();
});

describe('OpenAI conformance against the official OpenAPI schemas', () => {
  it('inference: models, chat completions (plain and streamed chunks), embeddings', async () => {
    const seeded = await emulator.seedOpenAIProject('conformance-inference');
    const key = seeded.key.reveal();
    await call('get', '/models', {}, { key });
    await call('get', '/models/{model}', { model: 'gpt-4o-mini' }, { key });
    await call('get', '/models/{model}', { model: 'no-such-model' }, { key, status: 404 });
    await call('post', '/chat/completions', {}, { key, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 } });
    await call('post', '/chat/completions', {}, { key, body: { model: 'gpt-4o' }, status: 400 });
    await call('post', '/embeddings', {}, { key, body: { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 } });

    // The spec types `embedding` as a number array only; with `encoding_format: base64` the
    // real API (and openai-node, which asks for it by default) uses a base64 string of
    // float32s. Validate the decoded body.
    const raw = await fetch(`${emulator.openaiBaseUrl}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-large', input: 'x', encoding_format: 'base64' }),
    });
    const encoded = (await raw.json()) as { data: Array<{ embedding: string }> };
    const decoded = {
      ...encoded,
      data: encoded.data.map((item) => {
        const bytes = Buffer.from(item.embedding, 'base64');
        return { ...item, embedding: Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)) };
      }),
    };
    expect(decoded.data[0]?.embedding).toHaveLength(3072);
    expectValid(pointer('paths', '/embeddings', 'post', 'responses', '200', 'content', 'application/json', 'schema'), decoded, 'base64 embeddings');

    const response = await fetch(`${emulator.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream' }] }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await response.text()).split('\n\n').filter((event) => event.trim() !== '');
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.replace(/^data: /, '')) as unknown);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expectValid(pointer('components', 'schemas', 'CreateChatCompletionStreamResponse'), chunk, 'stream chunk');
  });

  it('auth errors use the error envelope', async () => {
    await call('get', '/models', {}, { key: 'sk-proj-unknown-key-value-000000', status: 401 });
    const seeded = await emulator.seedOpenAIProject('conformance-scope');
    await call('get', '/organization/projects', {}, { key: seeded.key.reveal(), status: 401 });
  });

  it('projects, service accounts, keys and rate limits', async () => {
    const project = await call('post', '/organization/projects', {}, { body: { name: 'conformance' } });
    const projectId = String(project['id']);
    await call('get', '/organization/projects', {}, { query: 'limit=2&include_archived=true' });
    await call('get', '/organization/projects/{project_id}', { project_id: projectId });
    await call('post', '/organization/projects/{project_id}', { project_id: projectId }, { body: { name: 'conformance-renamed' } });
    await call('get', '/organization/projects/{project_id}', { project_id: 'proj_missing' }, { status: 404 });

    const account = await call('post', '/organization/projects/{project_id}/service_accounts', { project_id: projectId }, { body: { name: 'sa-1' } });
    const accountId = String(account['id']);
    await call('post', '/organization/projects/{project_id}/service_accounts', { project_id: projectId }, { body: { name: 'sa-only', create_service_account_only: true } });
    await call('get', '/organization/projects/{project_id}/service_accounts', { project_id: projectId });
    await call('get', '/organization/projects/{project_id}/service_accounts/{service_account_id}', { project_id: projectId, service_account_id: accountId });
    await call('post', '/organization/projects/{project_id}/service_accounts/{service_account_id}', { project_id: projectId, service_account_id: accountId }, { body: { name: 'sa-1b', role: 'owner' } });
    const extra = await call('post', '/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys', { project_id: projectId, service_account_id: accountId }, { body: { name: 'extra', scopes: ['api.model.read'] } });

    const saKeyId = String((account['api_key'] as { id: string }).id);
    const user = emulator.createOpenAIUserKey(projectId, 'user-key');
    await call('get', '/organization/projects/{project_id}/api_keys', { project_id: projectId });
    await call('get', '/organization/projects/{project_id}/api_keys/{api_key_id}', { project_id: projectId, api_key_id: saKeyId });
    await call('get', '/organization/projects/{project_id}/api_keys/{api_key_id}', { project_id: projectId, api_key_id: user.keyId });
    await call('delete', '/organization/projects/{project_id}/api_keys/{api_key_id}', { project_id: projectId, api_key_id: String(extra['id']) }, { status: 400 });
    await call('delete', '/organization/projects/{project_id}/api_keys/{api_key_id}', { project_id: projectId, api_key_id: user.keyId });

    const limits = await call('get', '/organization/projects/{project_id}/rate_limits', { project_id: projectId });
    const limitId = String((limits['data'] as Array<{ id: string }>)[0]?.id);
    await call('post', '/organization/projects/{project_id}/rate_limits/{rate_limit_id}', { project_id: projectId, rate_limit_id: limitId }, { body: { max_requests_per_1_minute: 5, max_tokens_per_1_minute: 1000 } });

    await call('delete', '/organization/projects/{project_id}/service_accounts/{service_account_id}', { project_id: projectId, service_account_id: accountId });
    await call('post', '/organization/projects/{project_id}/archive', { project_id: projectId });
    await call('post', '/organization/projects/{project_id}', { project_id: projectId }, { body: { name: 'too-late' }, status: 400 });
  });

  it('project model permissions and spend limit (set, read, enforced, deleted)', async () => {
    const seeded = await emulator.seedOpenAIProject('conformance-settings');
    const values = { project_id: seeded.projectId };
    await call('get', '/organization/projects/{project_id}/model_permissions', values, { status: 404 });
    await call('post', '/organization/projects/{project_id}/model_permissions', values, { body: { mode: 'allow_list', model_ids: ['gpt-4o-mini'] } });
    expect(await call('get', '/organization/projects/{project_id}/model_permissions', values)).toMatchObject({ mode: 'allow_list', model_ids: ['gpt-4o-mini'] });
    await call('post', '/organization/projects/{project_id}/model_permissions', values, { body: { mode: 'sometimes', model_ids: [] }, status: 400 });
    const refused = await fetch(`${emulator.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.key.reveal()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(403);
    expectValid(pointer('components', 'schemas', 'ErrorResponse'), await refused.json(), 'model not allowed');
    await call('delete', '/organization/projects/{project_id}/model_permissions', values);
    await call('get', '/organization/projects/{project_id}/spend_limit', values, { status: 404 });
    await call('post', '/organization/projects/{project_id}/spend_limit', values, { body: { threshold_amount: 10000, currency: 'USD', interval: 'month' } });
    expect(await call('get', '/organization/projects/{project_id}/spend_limit', values)).toMatchObject({ threshold_amount: 10000 });
    await call('post', '/organization/projects/{project_id}/spend_limit', values, { body: { threshold_amount: 0, currency: 'USD', interval: 'month' }, status: 400 });
    await call('delete', '/organization/projects/{project_id}/spend_limit', values);
    await call('get', '/organization/projects/{project_id}/spend_limit', { project_id: 'proj_missing' }, { status: 404 });
  });

  it('admin api keys and users', async () => {
    const created = await call('post', '/organization/admin_api_keys', {}, { body: { name: 'conformance-admin', expires_in_seconds: 3600 } });
    const keyId = String(created['id']);
    await call('get', '/organization/admin_api_keys', {}, { query: 'order=desc&limit=5' });
    await call('get', '/organization/admin_api_keys/{key_id}', { key_id: keyId });
    await call('delete', '/organization/admin_api_keys/{key_id}', { key_id: keyId });
    const users = await call('get', '/organization/users', {});
    await call('get', '/organization/users/{user_id}', { user_id: String((users['data'] as Array<{ id: string }>)[0]?.id) });
  });

  it('usage, costs and audit logs, with both array spellings', async () => {
    const seeded = await emulator.seedOpenAIProject('conformance-usage');
    for (const body of [{ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'u' }] }]) {
      await call('post', '/chat/completions', {}, { key: seeded.key.reveal(), body });
    }
    await call('post', '/embeddings', {}, { key: seeded.key.reveal(), body: { model: 'text-embedding-3-small', input: 'u' } });
    const start = Math.floor(Date.now() / 1000) - 3600;
    const usage = await call('get', '/organization/usage/completions', {}, { query: `start_time=${start}&bucket_width=1h&group_by[]=api_key_id&group_by[]=project_id&group_by[]=model` });
    const results = (usage['data'] as Array<{ results: Array<{ api_key_id: string | null }> }>).flatMap((bucket) => bucket.results);
    expect(results.some((result) => result.api_key_id === seeded.keyId)).toBe(true);
    await call('get', '/organization/usage/completions', {}, { query: `start_time=${start}&bucket_width=1m&group_by=api_key_id&group_by=model&api_key_ids=${seeded.keyId}` });
    await call('get', '/organization/usage/completions', {}, { query: `start_time=${start}&bucket_width=1d` });
    await call('get', '/organization/usage/completions', {}, { query: 'bucket_width=1d', status: 400 });
    await call('get', '/organization/usage/embeddings', {}, { query: `start_time=${start}&group_by[]=api_key_id` });
    await call('get', '/organization/costs', {}, { query: `start_time=${start - 86400}&group_by[]=line_item&group_by[]=project_id` });
    await call('get', '/organization/costs', {}, { query: `start_time=${start}&group_by=api_key_id` });
    const logs = await call('get', '/organization/audit_logs', {}, { query: `event_types[]=api_key.created&event_types[]=service_account.created&project_ids[]=${seeded.projectId}&effective_at[gte]=${start}` });
    expect((logs['data'] as unknown[]).length).toBe(2);
    await call('get', '/organization/audit_logs', {}, { query: 'limit=3' });
  });

  it('people: users (modify, remove), invites, project users', async () => {
    const seeded = emulator.seedOrganization({ days: 3 });
    const bob = seeded.openai.users['bob']?.id ?? '';
    await call('post', '/organization/users/{user_id}', { user_id: bob }, { body: { role: 'owner' } });
    await call('post', '/organization/users/{user_id}', { user_id: bob }, { body: { role: 'emperor' }, status: 400 });
    const invite = await call('post', '/organization/invites', {}, { body: { email: 'new@example.com', role: 'reader', projects: [{ id: seeded.openai.projects['search'], role: 'member' }] } });
    await call('get', '/organization/invites', {}, { query: 'limit=1' });
    await call('get', '/organization/invites/{invite_id}', { invite_id: String(invite['id']) });
    await call('delete', '/organization/invites/{invite_id}', { invite_id: String(invite['id']) });
    await call('get', '/organization/invites/{invite_id}', { invite_id: String(invite['id']) }, { status: 404 });
    const values = { project_id: seeded.openai.projects['ticketing'] ?? '', user_id: bob };
    await call('get', '/organization/projects/{project_id}/users', values);
    await call('post', '/organization/projects/{project_id}/users', values, { body: { user_id: bob, role: 'member' } });
    await call('post', '/organization/projects/{project_id}/users', values, { body: { user_id: bob, role: 'member' }, status: 400 });
    await call('get', '/organization/projects/{project_id}/users/{user_id}', values);
    await call('post', '/organization/projects/{project_id}/users/{user_id}', values, { body: { role: 'owner' } });
    await call('delete', '/organization/projects/{project_id}/users/{user_id}', values);
    const dave = seeded.openai.users['dave']?.id ?? '';
    await call('get', '/organization/users/{user_id}', { user_id: dave }, { status: 404 });
    const erin = seeded.openai.users['erin']?.id ?? '';
    await call('delete', '/organization/users/{user_id}', { user_id: erin });
    const listed = await call('get', '/organization/users', {}, { query: 'limit=100' });
    expect((listed['data'] as Array<{ id: string }>).map((user) => user.id)).not.toContain(erin);
  });

  it('spend alerts (organisation and project) and certificates', async () => {
    const seeded = await emulator.seedOpenAIProject('conformance-billing');
    const body = { threshold_amount: 300, currency: 'USD', interval: 'month', notification_channel: { type: 'email', recipients: ['ops@example.com'] } };
    for (const [prefix, values] of [['/organization', {}], ['/organization/projects/{project_id}', { project_id: seeded.projectId }]] as const) {
      const created = await call('post', `${prefix}/spend_alerts`, values, { body });
      const withId = { ...values, alert_id: String(created['id']) };
      await call('get', `${prefix}/spend_alerts`, values, { query: 'order=desc' });
      await call('get', `${prefix}/spend_alerts/{alert_id}`, withId);
      await call('post', `${prefix}/spend_alerts/{alert_id}`, withId, { body: { threshold_amount: 400 } });
      await call('post', `${prefix}/spend_alerts`, values, { body: { ...body, currency: 'EUR' }, status: 400 });
      await call('delete', `${prefix}/spend_alerts/{alert_id}`, withId);
    }
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from('emulated certificate body').toString('base64')}\n-----END CERTIFICATE-----\n`;
    const certificate = await call('post', '/organization/certificates', {}, { body: { name: 'mtls', certificate: pem } });
    await call('post', '/organization/certificates', {}, { body: { certificate: 'not a certificate' }, status: 400 });
    const withId = { certificate_id: String(certificate['id']) };
    await call('get', '/organization/certificates', {});
    await call('get', '/organization/certificates/{certificate_id}', withId);
    await call('post', '/organization/certificates/{certificate_id}', withId, { body: { name: 'mtls-renamed' } });
    await call('post', '/organization/certificates/activate', {}, { body: { certificate_ids: [withId.certificate_id] } });
    await call('delete', '/organization/certificates/{certificate_id}', withId, { status: 400 });
    await call('post', '/organization/certificates/deactivate', {}, { body: { certificate_ids: [withId.certificate_id] } });
    await call('delete', '/organization/certificates/{certificate_id}', withId);
  });

  it('every usage kind of the spec, grouped by each of its dimensions', async () => {
    const start = Math.floor(Date.now() / 1000) - 3 * 86400;
    const groups: Record<string, string[]> = {
      moderations: ['project_id', 'api_key_id', 'model'],
      images: ['project_id', 'model', 'size', 'source'],
      audio_speeches: ['project_id', 'api_key_id', 'model'],
      audio_transcriptions: ['api_key_id', 'model'],
      vector_stores: ['project_id'],
      code_interpreter_sessions: ['project_id'],
      file_search_calls: ['project_id', 'vector_store_id'],
      web_search_calls: ['model', 'context_level'],
    };
    for (const [kind, dimensions] of Object.entries(groups)) {
      const page = await call('get', `/organization/usage/${kind}`, {}, { query: `start_time=${start}&bucket_width=1d&${dimensions.map((name) => `group_by[]=${name}`).join('&')}` });
      const results = (page['data'] as Array<{ results: Array<Record<string, unknown>> }>).flatMap((bucket) => bucket.results);
      expect(results.length, `${kind} has seeded usage`).toBeGreaterThan(0);
      for (const dimension of dimensions) expect(results.every((result) => result[dimension] !== null), `${kind} grouped by ${dimension}`).toBe(true);
      await call('get', `/organization/usage/${kind}`, {}, { query: `start_time=${start}&group_by=no_such_dimension`, status: 400 });
    }
  });

  it('the validator is not vacuous: a wrong shape is rejected', () => {
    const projectSchema = pointer('paths', '/organization/projects/{project_id}', 'get', 'responses', '200', 'content', 'application/json', 'schema');
    expect(validator(projectSchema)({ id: 'proj_x', object: 'organization.project', created_at: 1 })).toBe(true);
    expect(validator(projectSchema)({ id: 'proj_x', object: 'project', created_at: 1 })).toBe(false);
    expect(validator(projectSchema)({ id: 'proj_x', object: 'organization.project' })).toBe(false);
    expect(validator(pointer('components', 'schemas', 'ErrorResponse'))({ error: { message: 'm', type: 't', code: null } })).toBe(false);
  });

  it('exercised every implemented operation, and the emulator routes are exactly the implemented list', () => {
    const implemented = new Set(OPENAI_IMPLEMENTED_OPERATIONS.map(([method, path]) => `${method} ${path}`));
    expect([...covered].sort()).toEqual([...implemented].sort());

    const state = createEmulatorState({ seed: 1, clock: systemClock });
    const app = buildEmulatorApp({ state, faults: createFaultInjector({ seed: 1, clock: systemClock }) });
    const normalise = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, '{}').replace(/\{\w+\}/g, '{}').replace(/\/$/, '');
    const routed = new Set(
      app.routes
        .filter((route) => route.method !== 'ALL' && route.path.startsWith('/v1/'))
        .map((route) => `${route.method.toLowerCase()} ${normalise(route.path.slice(3))}`),
    );
    const listed = new Set(OPENAI_IMPLEMENTED_OPERATIONS.map(([method, path]) => `${method} ${normalise(path)}`));
    expect([...routed].sort()).toEqual([...listed].sort());
  });

  it.skipIf(!existsSync(FULL_SPEC_PATH))('the committed pruned spec is what scripts/prune-openapi.ts makes from the full file (skipped when ../shared/reference is absent)', () => {
    const full = parse(readFileSync(FULL_SPEC_PATH, 'utf8'), { maxAliasCount: -1 }) as Parameters<typeof pruneOpenApi>[0];
    expect(pruneOpenApi(full, OPENAI_IMPLEMENTED_OPERATIONS)).toEqual(spec);
  }, 120_000);
});
