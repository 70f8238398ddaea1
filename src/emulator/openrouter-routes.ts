/**
 * OpenRouter under `/openrouter/api/v1`: key management with a management key (`/keys`),
 * current-key info (`/key`), the public model list and an OpenAI-style chat endpoint so a
 * key can be proven to work. A deleted or disabled key gets 401.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { cannedReply, OPENROUTER_MODELS } from './emulator-catalog.js';
import { BadRequest, countTokens, optionalInteger, optionalString, readJsonObject, requiredString } from './emulator-http.js';
import { generateKeyValue, redactOpenRouter } from './emulator-random.js';
import { isKeyAccepted, type EmulatedKey, type EmulatorState } from './emulator-state.js';
import { bearerToken, type EmulatorDeps } from './openai-auth.js';
import { ownerUser } from './openai-objects.js';

type OpenRouterEnv = { Variables: { key: EmulatedKey } };

const iso = (milliseconds: number | null) => (milliseconds === null ? null : new Date(milliseconds).toISOString());

function openrouterError(context: Context, status: ContentfulStatusCode, message: string) {
  return context.json({ error: { code: status, message } }, status);
}

function usageUsd(state: EmulatorState, key: EmulatedKey, sinceMs = 0): number {
  return state.data.usage
    .filter((usage) => usage.provider === 'openrouter' && usage.keyId === key.id && usage.at >= sinceMs)
    .reduce((sum, usage) => {
      const model = OPENROUTER_MODELS.find((candidate) => candidate.id === usage.model);
      return sum + usage.inputTokens * Number(model?.promptPrice ?? 0) + usage.outputTokens * Number(model?.completionPrice ?? 0);
    }, 0);
}

function keyObject(state: EmulatorState, key: EmulatedKey) {
  const now = state.nowMs();
  const usage = usageUsd(state, key);
  const limit = key.openrouter?.limit ?? null;
  return {
    hash: key.id,
    name: key.name ?? '',
    label: key.redacted,
    disabled: key.status === 'disabled',
    limit,
    limit_remaining: limit === null ? null : Math.max(0, limit - usage),
    limit_reset: key.openrouter?.limitReset ?? null,
    include_byok_in_limit: key.openrouter?.includeByokInLimit ?? false,
    usage,
    usage_daily: usageUsd(state, key, now - 86_400_000),
    usage_weekly: usageUsd(state, key, now - 7 * 86_400_000),
    usage_monthly: usageUsd(state, key, now - 30 * 86_400_000),
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
    created_at: iso(key.createdAt),
    updated_at: iso(key.openrouter?.updatedAt ?? null),
    expires_at: iso(key.expiresAt),
    creator_user_id: key.ownerUserId,
  };
}

function authenticate(deps: EmulatorDeps, surface: 'management' | 'inference' | 'any'): MiddlewareHandler<OpenRouterEnv> {
  return async (context, next) => {
    await deps.faults.delay();
    const token = bearerToken(context);
    if (token === undefined || token === '') return openrouterError(context, 401, 'No auth credentials found');
    const key = deps.state.findKeyByValue(token);
    if (key === undefined || key.provider !== 'openrouter' || !isKeyAccepted(key, deps.state.nowMs(), deps.faults.knobs(), false)) {
      return openrouterError(context, 401, 'User not found.');
    }
    if (surface !== 'any' && (key.kind === 'management') !== (surface === 'management')) {
      return openrouterError(context, 401, surface === 'management' ? 'Only management keys can perform this operation' : 'Management keys cannot be used for inference');
    }
    const fault = deps.faults.decide();
    if (fault.kind === 'rate-limit') {
      context.header('retry-after', String(fault.retryAfterSeconds));
      return openrouterError(context, 429, 'Rate limit exceeded: too many requests');
    }
    if (fault.kind === 'server-error') {
      return fault.variant === 0 ? openrouterError(context, 500, 'Internal Server Error') : openrouterError(context, 502, 'Provider returned error');
    }
    if (surface === 'inference' && deps.conditions?.get(key.id)?.outOfQuota === true) {
      return openrouterError(context, 402, 'Insufficient credits. Add more using https://openrouter.ai/settings/credits');
    }
    key.lastUsedAt = deps.state.nowMs();
    context.set('key', key);
    await next();
    deps.state.changed();
    return undefined;
  };
}

function readLimitFields(body: Record<string, unknown>) {
  const limit = body['limit'];
  if (limit !== undefined && limit !== null && (typeof limit !== 'number' || limit < 0)) throw new BadRequest('limit must be a non-negative number');
  const limitReset = optionalString(body, 'limit_reset');
  if (limitReset !== undefined && !['daily', 'weekly', 'monthly'].includes(limitReset)) throw new BadRequest('limit_reset must be daily, weekly or monthly');
  const includeByok = body['include_byok_in_limit'];
  if (includeByok !== undefined && typeof includeByok !== 'boolean') throw new BadRequest('include_byok_in_limit must be a boolean');
  return { limit: limit as number | null | undefined, limitReset, includeByok: includeByok as boolean | undefined };
}

export function createOpenRouterRoutes(deps: EmulatorDeps): Hono<OpenRouterEnv> {
  const { state } = deps;
  const app = new Hono<OpenRouterEnv>();
  app.onError((error, context) => (error instanceof BadRequest ? openrouterError(context, 400, error.message) : openrouterError(context, 500, 'Internal Server Error')));
  const management = authenticate(deps, 'management');
  const inferenceKeys = () => state.data.keys.filter((key) => key.provider === 'openrouter' && key.kind === 'inference' && key.status !== 'revoked');
  const findKey = (hash: string | undefined) => inferenceKeys().find((key) => key.id === hash);

  app.get('/keys', management, (context) => {
    const offset = optionalInteger(context.req.query('offset'), 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const includeDisabled = context.req.query('include_disabled') === 'true';
    const keys = inferenceKeys().filter((key) => includeDisabled || key.status !== 'disabled');
    return context.json({ data: keys.slice(offset, offset + 100).map((key) => keyObject(state, key)) });
  });

  app.post('/keys', management, async (context) => {
    const body = await readJsonObject(context);
    const name = requiredString(body, 'name');
    const fields = readLimitFields(body);
    const expiresAt = optionalString(body, 'expires_at');
    const expiresMs = expiresAt === undefined ? null : Date.parse(expiresAt);
    if (Number.isNaN(expiresMs)) throw new BadRequest('expires_at must be an ISO 8601 timestamp');
    const value = generateKeyValue('openrouter');
    const key = state.addKey(
      {
        provider: 'openrouter',
        id: state.ids.hex(64),
        kind: 'inference',
        name,
        redacted: redactOpenRouter(value),
        createdAt: state.nowMs(),
        skipActivationDelay: false,
        status: 'active',
        expiresAt: expiresMs,
        projectId: null,
        serviceAccountId: null,
        ownerUserId: `user_${ownerUser(state).id.slice(5)}`,
        workspaceId: null,
        scopes: [],
        openrouter: { limit: fields.limit ?? null, limitReset: fields.limitReset ?? null, includeByokInLimit: fields.includeByok ?? false, updatedAt: null },
      },
      value,
    );
    return context.json({ data: keyObject(state, key), key: value }, 201);
  });

  app.get('/keys/:hash', management, (context) => {
    const key = findKey(context.req.param('hash'));
    return key === undefined ? openrouterError(context, 404, 'Key not found') : context.json({ data: keyObject(state, key) });
  });

  app.patch('/keys/:hash', management, async (context) => {
    const key = findKey(context.req.param('hash'));
    if (key === undefined) return openrouterError(context, 404, 'Key not found');
    const body = await readJsonObject(context);
    const name = optionalString(body, 'name');
    const disabled = body['disabled'];
    if (disabled !== undefined && typeof disabled !== 'boolean') throw new BadRequest('disabled must be a boolean');
    const fields = readLimitFields(body);
    if (name !== undefined) key.name = name;
    if (disabled !== undefined) state.setKeyStatus(key, disabled ? 'disabled' : 'active');
    const settings = key.openrouter ?? { limit: null, limitReset: null, includeByokInLimit: false, updatedAt: null };
    if (fields.limit !== undefined) settings.limit = fields.limit;
    if (fields.limitReset !== undefined) settings.limitReset = fields.limitReset;
    if (fields.includeByok !== undefined) settings.includeByokInLimit = fields.includeByok;
    settings.updatedAt = state.nowMs();
    key.openrouter = settings;
    return context.json({ data: keyObject(state, key) });
  });

  app.delete('/keys/:hash', management, (context) => {
    const key = findKey(context.req.param('hash'));
    if (key === undefined) return openrouterError(context, 404, 'Key not found');
    state.setKeyStatus(key, 'revoked');
    return context.json({ deleted: true });
  });

  app.get('/key', authenticate(deps, 'any'), (context) => {
    const key = context.get('key');
    const info = keyObject(state, key);
    if (deps.conditions?.get(key.id)?.outOfQuota === true) {
      info.limit = info.limit ?? 0;
      info.limit_remaining = 0;
    }
    return context.json({
      data: {
        label: info.label,
        limit: info.limit,
        limit_remaining: info.limit_remaining,
        limit_reset: info.limit_reset,
        include_byok_in_limit: info.include_byok_in_limit,
        usage: info.usage,
        usage_daily: info.usage_daily,
        usage_weekly: info.usage_weekly,
        usage_monthly: info.usage_monthly,
        byok_usage: 0,
        byok_usage_daily: 0,
        byok_usage_weekly: 0,
        byok_usage_monthly: 0,
        is_free_tier: false,
        is_management_key: key.kind === 'management',
        is_provisioning_key: key.kind === 'management',
        expires_at: info.expires_at,
        creator_user_id: info.creator_user_id,
      },
    });
  });

  app.get('/models', (context) =>
    context.json({
      data: OPENROUTER_MODELS.map((model) => ({
        id: model.id,
        canonical_slug: model.id,
        name: model.name,
        created: model.created,
        description: `${model.name} (emulated)`,
        context_length: model.contextLength,
        architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other', instruct_type: null },
        pricing: { prompt: model.promptPrice, completion: model.completionPrice, request: '0', image: '0' },
        top_provider: { context_length: model.contextLength, max_completion_tokens: null, is_moderated: false },
        per_request_limits: null,
        supported_parameters: ['max_tokens', 'temperature', 'stream'],
      })),
    }),
  );

  app.post('/chat/completions', authenticate(deps, 'inference'), async (context) => {
    const key = context.get('key');
    const body = await readJsonObject(context);
    const modelId = requiredString(body, 'model');
    const model = OPENROUTER_MODELS.find((candidate) => candidate.id === modelId);
    if (model === undefined) return openrouterError(context, 400, `${modelId} is not a valid model ID`);
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0) throw new BadRequest('messages must be a non-empty array');
    const promptTokens = messages.reduce((sum: number, message: unknown) => sum + countTokens(String((message as { content?: unknown } | null)?.content ?? '')), 0);
    const reply = cannedReply(model.id, messages.length);
    const completionTokens = countTokens(reply);
    state.recordUsage({ provider: 'openrouter', kind: 'completions', keyId: key.id, projectId: null, userId: key.ownerUserId, workspaceId: null, model: model.id, inputTokens: promptTokens, outputTokens: completionTokens });
    return context.json({
      id: `gen-${state.nowSeconds()}-${state.ids.alphanumeric(20)}`,
      provider: 'Emulator',
      model: model.id,
      object: 'chat.completion',
      created: state.nowSeconds(),
      choices: [{ index: 0, logprobs: null, finish_reason: 'stop', native_finish_reason: 'stop', message: { role: 'assistant', content: reply, refusal: null, reasoning: null } }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  });

  app.notFound((context) => openrouterError(context, 404, 'Not Found'));
  return app;
}
