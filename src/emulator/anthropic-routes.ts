/**
 * Anthropic under `/anthropic`: `/v1/models`, `/v1/messages` (plain and SSE), the Admin API
 * (see anthropic-admin-routes.ts) and the emulator-only console at
 * `POST /anthropic/_emulator_console/api_keys`, which does what only the real Console can:
 * create a workspace API key. The console never gets faults or latency.
 */
import { Hono, type Context } from 'hono';
import { SecretValue } from '../core/secret-value.js';
import { ANTHROPIC_MODELS, cannedReply, type AnthropicModelEntry } from './emulator-catalog.js';
import { modelAllowed } from './emulator-key-conditions.js';
import { BadRequest, countTokens, optionalInteger, optionalString, paginate, readJsonObject, requiredString } from './emulator-http.js';
import { generateKeyValue, redactAnthropic } from './emulator-random.js';
import type { EmulatedKey, EmulatorState } from './emulator-state.js';
import { anthropicAuthenticate, anthropicError, anthropicOnError, anthropicRequestId, type AnthropicEnv } from './anthropic-auth.js';
import { anthropicApiKeyObject, createAnthropicAdminRoutes } from './anthropic-admin-routes.js';
import type { EmulatorDeps } from './openai-auth.js';
import { ownerUser } from './openai-objects.js';

export function createAnthropicApiKey(state: EmulatorState, name: string, workspaceId: string | null): { key: EmulatedKey; value: SecretValue } {
  const value = generateKeyValue('anthropic-api');
  const key = state.addKey(
    {
      provider: 'anthropic',
      id: `apikey_01${state.ids.alphanumeric(22)}`,
      kind: 'api',
      name,
      redacted: redactAnthropic(value),
      createdAt: state.nowMs(),
      skipActivationDelay: false,
      status: 'active',
      expiresAt: null,
      projectId: null,
      serviceAccountId: null,
      ownerUserId: ownerUser(state).id,
      workspaceId,
      scopes: [],
      openrouter: null,
    },
    value,
  );
  return { key, value: new SecretValue(value) };
}

function modelObject(model: AnthropicModelEntry) {
  return { type: 'model', id: model.id, display_name: model.displayName, created_at: model.createdAt, max_input_tokens: model.maxInputTokens, max_tokens: model.maxTokens };
}

function messageTexts(messages: unknown): string[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new BadRequest('messages: at least one message is required');
  return messages.map((message: unknown, index) => {
    const content = (message as { content?: unknown } | null)?.content;
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map((block: unknown) => (block as { text?: unknown }).text).filter((text) => typeof text === 'string').join(' ');
    throw new BadRequest(`messages.${index}.content: Field required`);
  });
}

function sse(events: Array<[string, unknown]>): Response {
  const encoder = new TextEncoder();
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const event = events[index];
      index += 1;
      if (event === undefined) controller.close();
      else controller.enqueue(encoder.encode(`event: ${event[0]}\ndata: ${JSON.stringify(event[1])}\n\n`));
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
}

function setRateLimitHeaders(context: Context, state: EmulatorState): void {
  const reset = new Date(state.nowMs() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const [kind, limit] of [['requests', 4000], ['tokens', 2000000], ['input-tokens', 2000000], ['output-tokens', 400000]] as const) {
    context.header(`anthropic-ratelimit-${kind}-limit`, String(limit));
    context.header(`anthropic-ratelimit-${kind}-remaining`, String(limit - 1));
    context.header(`anthropic-ratelimit-${kind}-reset`, reset);
  }
}

export function createAnthropicRoutes(deps: EmulatorDeps): Hono<AnthropicEnv> {
  const { state } = deps;
  const app = new Hono<AnthropicEnv>();
  app.onError(anthropicOnError);
  app.use('*', anthropicRequestId(deps));
  const inference = anthropicAuthenticate(deps, 'inference');

  app.get('/v1/models', inference, (context) => {
    const limit = optionalInteger(context.req.query('limit'), 'limit', 1, 1000) ?? 20;
    const page = paginate(ANTHROPIC_MODELS.filter((model) => modelAllowed(deps.conditions?.get(context.get('key').id), model.id)), (model) => model.id, { limit, after: context.req.query('after_id'), before: context.req.query('before_id') });
    return context.json({ data: page.items.map(modelObject), has_more: page.hasMore, first_id: page.items[0]?.id ?? null, last_id: page.items.at(-1)?.id ?? null });
  });

  app.get('/v1/models/:model', inference, (context) => {
    const model = ANTHROPIC_MODELS.find((candidate) => candidate.id === context.req.param('model'));
    return model === undefined ? anthropicError(context, 404, 'not_found_error', `model: ${context.req.param('model')}`) : context.json(modelObject(model));
  });

  app.post('/v1/messages', inference, async (context) => {
    const key = context.get('key');
    const body = await readJsonObject(context);
    const modelId = requiredString(body, 'model');
    const maxTokens = body['max_tokens'];
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) throw new BadRequest('max_tokens: Field required');
    const model = ANTHROPIC_MODELS.find((candidate) => candidate.id === modelId);
    if (model === undefined) return anthropicError(context, 404, 'not_found_error', `model: ${modelId}`);
    const texts = messageTexts(body['messages']);
    const system = typeof body['system'] === 'string' ? body['system'] : '';
    const fullReply = cannedReply(model.id, texts.length);
    const reply = fullReply.slice(0, maxTokens * 4);
    const stopReason = reply.length < fullReply.length ? 'max_tokens' : 'end_turn';
    const inputTokens = texts.reduce((sum, text) => sum + countTokens(text) + 3, system === '' ? 0 : countTokens(system));
    const outputTokens = countTokens(reply);
    state.recordUsage({ provider: 'anthropic', kind: 'messages', keyId: key.id, projectId: null, userId: key.ownerUserId, workspaceId: key.workspaceId, model: model.id, inputTokens, outputTokens });
    setRateLimitHeaders(context, state);
    const id = `msg_01${state.ids.alphanumeric(22)}`;
    const usage = { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens, service_tier: 'standard' };
    if (body['stream'] !== true) {
      return context.json({ id, type: 'message', role: 'assistant', model: model.id, content: [{ type: 'text', text: reply }], stop_reason: stopReason, stop_sequence: null, usage });
    }
    const pieces = reply.match(/\S+\s*/g) ?? [reply];
    const response = sse([
      ['message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: model.id, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['ping', { type: 'ping' }],
      ...pieces.map((piece): [string, unknown] => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }]),
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
    context.res.headers.forEach((value, name) => response.headers.set(name, value));
    return response;
  });

  app.route('/v1/organizations', createAnthropicAdminRoutes(deps));

  // Emulator-only console. Not part of any Anthropic API.
  app.post('/_emulator_console/api_keys', anthropicAuthenticate(deps, 'console'), async (context) => {
    const body = await readJsonObject(context);
    const name = requiredString(body, 'name');
    const workspaceId = optionalString(body, 'workspace_id') ?? null;
    const created = createAnthropicApiKey(state, name, workspaceId);
    return context.json({ ...anthropicApiKeyObject(state, created.key), value: created.value.reveal() }, 201);
  });

  app.notFound((context) => anthropicError(context, 404, 'not_found_error', 'Not found'));
  return app;
}
