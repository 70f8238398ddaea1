/** OpenAI inference surface: models, chat completions (plain and SSE), embeddings. */
import { projectAllowsModel } from './openai-project-settings-routes.js';
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { cannedReply, findOpenAIModel, OPENAI_MODELS, type OpenAIModelEntry } from './emulator-catalog.js';
import { modelAllowed } from './emulator-key-conditions.js';
import { BadRequest, countTokens, readJsonObject, requiredString } from './emulator-http.js';
import { openaiAuthenticate, openaiError, type EmulatorDeps, type OpenAIEnv } from './openai-auth.js';
import type { EmulatedKey } from './emulator-state.js';

function modelObject(model: OpenAIModelEntry) {
  return { id: model.id, object: 'model', created: model.created, owned_by: model.ownedBy };
}

function modelNotFound(context: Context, id: string) {
  return openaiError(context, 404, `The model \`${id}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
}

/** Text of every message, whether `content` is a string or an array of parts. */
function messageTexts(messages: unknown): string[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new BadRequest("Invalid 'messages': expected a non-empty array.", 'messages');
  return messages.map((message: unknown, index) => {
    if (message === null || typeof message !== 'object') throw new BadRequest(`Invalid 'messages[${index}]': expected an object.`, `messages[${index}]`);
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map((part: unknown) => (part as { text?: unknown }).text).filter((text) => typeof text === 'string').join(' ');
    return '';
  });
}

/**
 * Enforces the project's per-model requests-per-minute limit (as set through the rate_limits
 * admin route) and sets the `x-ratelimit-*` headers. Returns a 429 response when the limit
 * is reached. Call before recording the request's usage.
 */
function applyProjectRateLimit(deps: EmulatorDeps, context: Context, key: EmulatedKey, model: OpenAIModelEntry): Response | undefined {
  if (!projectAllowsModel(deps.state.data, key.projectId, model.id)) {
    return openaiError(context, 403, `Project ${key.projectId ?? ''} does not have access to model ${model.id}.`, 'invalid_request_error', 'model_not_allowed');
  }
  // Usage is appended in time order: walk back over the last minute only (O(recent), not O(all)).
  const now = deps.state.nowMs();
  const usageLog = deps.state.data.usage;
  const recent: typeof usageLog = [];
  for (let index = usageLog.length - 1; index >= 0; index -= 1) {
    const usage = usageLog[index];
    if (usage === undefined || usage.at <= now - 60_000) break;
    if (usage.provider === 'openai' && usage.projectId === key.projectId && usage.model === model.id) recent.push(usage);
  }
  const limits = deps.state.data.rateLimits.find((limit) => limit.projectId === key.projectId && limit.model === model.id)?.limits;
  const requestLimit = limits?.['max_requests_per_1_minute'] ?? model.requestsPerMinute;
  const tokenLimit = limits?.['max_tokens_per_1_minute'] ?? model.tokensPerMinute;
  const tokensUsed = recent.reduce((sum, usage) => sum + usage.inputTokens + usage.outputTokens, 0);
  const oldest = recent.at(-1);
  const resetMs = oldest === undefined ? 0 : Math.max(1, oldest.at + 60_000 - now);
  context.header('x-ratelimit-limit-requests', String(requestLimit));
  context.header('x-ratelimit-limit-tokens', String(tokenLimit));
  context.header('x-ratelimit-remaining-requests', String(Math.max(0, requestLimit - recent.length - 1)));
  context.header('x-ratelimit-remaining-tokens', String(Math.max(0, tokenLimit - tokensUsed)));
  context.header('x-ratelimit-reset-requests', `${Math.max(1, Math.round(60_000 / Math.max(1, requestLimit)))}ms`);
  context.header('x-ratelimit-reset-tokens', `${Math.max(1, Math.round((tokensUsed * 60_000) / Math.max(1, tokenLimit)))}ms`);
  context.header('openai-organization', deps.state.data.organizationId);
  context.header('openai-version', '2020-10-01');
  context.header('openai-processing-ms', '1');
  if (recent.length < requestLimit) return undefined;
  const retryAfter = Math.ceil(resetMs / 1000);
  context.header('retry-after', String(retryAfter));
  const message = `Rate limit reached for ${model.id} in organization ${deps.state.data.organizationId} on requests per min (RPM): Limit ${requestLimit}, Used ${recent.length}, Requested 1. Please try again in ${retryAfter}s. Visit https://platform.openai.com/account/rate-limits to learn more.`;
  return openaiError(context, 429, message, 'requests', 'rate_limit_exceeded');
}

function maxCompletionTokens(body: Record<string, unknown>): number | undefined {
  const value = body['max_completion_tokens'] ?? body['max_tokens'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new BadRequest("Invalid 'max_tokens': expected a positive integer.", 'max_tokens');
  return value;
}

function usageObject(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function sseResponse(events: string[]): Response {
  const encoder = new TextEncoder();
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const event = events[index];
      index += 1;
      if (event === undefined) controller.close();
      else controller.enqueue(encoder.encode(event));
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
}

/** Deterministic unit vector for `text`: SHA-256 in counter mode mapped to [-1, 1], normalised. */
function embeddingFor(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block += 1) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let offset = 0; offset + 1 < digest.length && values.length < dimensions; offset += 2) {
      values.push(digest.readUInt16BE(offset) / 32767.5 - 1);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return values.map((value) => value / norm);
}

function embeddingInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((item) => typeof item === 'string')) return input as string[];
    if (input.every((item) => typeof item === 'number')) return [input.join(',')];
    if (input.every((item) => Array.isArray(item))) return input.map((item: unknown[]) => item.join(','));
  }
  throw new BadRequest("Invalid 'input': expected a string, an array of strings or token arrays.", 'input');
}

export function createOpenAIInferenceRoutes(deps: EmulatorDeps): Hono<OpenAIEnv> {
  const app = new Hono<OpenAIEnv>();
  const authenticate = openaiAuthenticate(deps, 'inference');
  const { state } = deps;

  const allowed = (context: { get(name: 'key'): { id: string } }, model: string) => modelAllowed(deps.conditions?.get(context.get('key').id), model);

  app.get('/models', authenticate, (context) => context.json({ object: 'list', data: OPENAI_MODELS.filter((model) => allowed(context, model.id)).map(modelObject) }));

  app.get('/models/:model{.+}', authenticate, (context) => {
    const model = findOpenAIModel(context.req.param('model'));
    return model === undefined || !allowed(context, model.id) ? modelNotFound(context, context.req.param('model')) : context.json(modelObject(model));
  });

  app.post('/chat/completions', authenticate, async (context) => {
    const key = context.get('key');
    const body = await readJsonObject(context);
    const modelId = requiredString(body, 'model');
    const model = findOpenAIModel(modelId);
    if (model === undefined || model.kind !== 'chat') return modelNotFound(context, modelId);
    const texts = messageTexts(body['messages']);
    const limit = maxCompletionTokens(body);
    const fullReply = cannedReply(model.id, texts.length);
    const reply = limit === undefined ? fullReply : fullReply.slice(0, limit * 4);
    const finishReason = reply.length < fullReply.length ? 'length' : 'stop';
    const promptTokens = texts.reduce((sum, text) => sum + countTokens(text) + 4, 3);
    const completionTokens = countTokens(reply);
    const limited = applyProjectRateLimit(deps, context, key, model);
    if (limited !== undefined) return limited;
    state.recordUsage({ provider: 'openai', kind: 'completions', keyId: key.id, projectId: key.projectId, userId: key.ownerUserId, workspaceId: null, model: model.id, inputTokens: promptTokens, outputTokens: completionTokens });
    const id = `chatcmpl-${state.ids.alphanumeric(29)}`;
    const created = state.nowSeconds();
    const common = { id, created, model: model.id, service_tier: 'default', system_fingerprint: 'fp_emulator' };
    if (body['stream'] !== true) {
      return context.json({
        ...common,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null, annotations: [] }, logprobs: null, finish_reason: finishReason }],
        usage: usageObject(promptTokens, completionTokens),
      });
    }
    const includeUsage = (body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
    const chunk = (choices: unknown[], usage?: unknown) =>
      `data: ${JSON.stringify({ ...common, object: 'chat.completion.chunk', choices, ...(includeUsage ? { usage: usage ?? null } : {}) })}\n\n`;
    const pieces = reply.match(/\S+\s*/g) ?? [reply];
    const events = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]),
      ...pieces.map((piece) => chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]),
      ...(includeUsage ? [chunk([], usageObject(promptTokens, completionTokens))] : []),
      'data: [DONE]\n\n',
    ];
    const response = sseResponse(events);
    context.res.headers.forEach((value, name) => response.headers.set(name, value));
    return response;
  });

  app.post('/embeddings', authenticate, async (context) => {
    const key = context.get('key');
    const body = await readJsonObject(context);
    const modelId = requiredString(body, 'model');
    const model = findOpenAIModel(modelId);
    if (model === undefined || model.kind !== 'embedding') return modelNotFound(context, modelId);
    const inputs = embeddingInputs(body['input']);
    const requested = body['dimensions'];
    if (requested !== undefined && (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 1 || requested > (model.dimensions ?? 1536))) {
      throw new BadRequest("Invalid 'dimensions'.", 'dimensions');
    }
    const dimensions = typeof requested === 'number' ? requested : (model.dimensions ?? 1536);
    const base64 = body['encoding_format'] === 'base64';
    const promptTokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
    const limited = applyProjectRateLimit(deps, context, key, model);
    if (limited !== undefined) return limited;
    state.recordUsage({ provider: 'openai', kind: 'embeddings', keyId: key.id, projectId: key.projectId, userId: key.ownerUserId, workspaceId: null, model: model.id, inputTokens: promptTokens, outputTokens: 0 });
    const data = inputs.map((text, index) => {
      const vector = embeddingFor(text, dimensions);
      const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    return context.json({ object: 'list', data, model: model.id, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
  });

  return app;
}
