/**
 * OpenAI error envelopes, bearer authentication and fault injection for `/v1/*`.
 * Order per request: latency → authentication → fault (429 / 5xx) → handler. Auth comes
 * before faults as on the real API, so a dead key always gets 401, never a 429.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { FaultInjector } from './emulator-faults.js';
import { BadRequest } from './emulator-http.js';
import { maskForAuthError } from './emulator-random.js';
import { OPENAI_INSUFFICIENT_QUOTA_MESSAGE, type KeyConditions } from './emulator-key-conditions.js';
import { isKeyAccepted, type EmulatedKey, type EmulatorState } from './emulator-state.js';

export interface EmulatorDeps {
  state: EmulatorState;
  faults: FaultInjector;
  /** Out-of-quota and model-restricted keys by key id (emulator-key-conditions.ts). */
  conditions?: KeyConditions;
}

export type OpenAIEnv = { Variables: { key: EmulatedKey } };

export function openaiErrorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

export function openaiError(context: Context, status: ContentfulStatusCode, message: string, type = 'invalid_request_error', code: string | null = null, param: string | null = null) {
  return context.json(openaiErrorBody(message, type, code, param), status);
}

export function openaiNotFound(context: Context, what: string, id: string) {
  return openaiError(context, 404, `No ${what} found with id '${id}'.`, 'invalid_request_error', 'not_found', null);
}

/** Maps a thrown `BadRequest` to the 400 envelope; anything else becomes a bodyless 500 (never echo internals). */
export function openaiOnError(error: Error, context: Context) {
  if (error instanceof BadRequest) return openaiError(context, 400, error.message, 'invalid_request_error', null, error.param);
  return openaiError(context, 500, 'The server had an error while processing your request. Sorry about that!', 'server_error');
}

const MISSING_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";

function insufficientScope(scope: string): string {
  return `You have insufficient permissions for this operation. Missing scopes: ${scope}. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes.`;
}

export function bearerToken(context: Context): string | undefined {
  const header = context.req.header('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim();
}

/**
 * Accepts a key for `surface`: admin routes take only admin keys, inference routes only
 * project / service-account keys. Sets `key` on the context.
 */
export function openaiAuthenticate(deps: EmulatorDeps, surface: 'admin' | 'inference'): MiddlewareHandler<OpenAIEnv> {
  return async (context, next) => {
    await deps.faults.delay();
    const token = bearerToken(context);
    if (token === undefined || token === '') return openaiError(context, 401, MISSING_KEY_MESSAGE, 'invalid_request_error', null);
    const key = deps.state.findKeyByValue(token);
    const project = key?.projectId === null || key === undefined ? undefined : deps.state.findProject(key.projectId);
    const accepted =
      key !== undefined && key.provider === 'openai' && isKeyAccepted(key, deps.state.nowMs(), deps.faults.knobs(), project?.archivedAt != null);
    if (!accepted) {
      const message = `Incorrect API key provided: ${maskForAuthError(token)}. You can find your API key at https://platform.openai.com/account/api-keys.`;
      return openaiError(context, 401, message, 'invalid_request_error', 'invalid_api_key');
    }
    if (surface === 'admin' && key.kind !== 'admin') {
      const scope = context.req.method === 'GET' ? 'api.management.read' : 'api.management.write';
      return openaiError(context, 401, insufficientScope(scope), 'invalid_request_error', null);
    }
    if (surface === 'inference' && key.kind === 'admin') {
      return openaiError(context, 401, insufficientScope('model.request'), 'invalid_request_error', null);
    }
    const fault = deps.faults.decide();
    if (fault.kind === 'rate-limit') {
      context.header('retry-after', String(fault.retryAfterSeconds));
      const message = `Rate limit reached for requests in organization ${deps.state.data.organizationId} on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in ${fault.retryAfterSeconds}s.`;
      return openaiError(context, 429, message, 'requests', 'rate_limit_exceeded');
    }
    if (fault.kind === 'server-error') {
      return fault.variant === 0
        ? openaiError(context, 500, 'The server had an error while processing your request. Sorry about that!', 'server_error')
        : openaiError(context, 503, 'The engine is currently overloaded, please try again later.', 'server_error');
    }
    if (surface === 'inference' && deps.conditions?.get(key.id)?.outOfQuota === true) {
      return openaiError(context, 429, OPENAI_INSUFFICIENT_QUOTA_MESSAGE, 'insufficient_quota', 'insufficient_quota');
    }
    key.lastUsedAt = deps.state.nowMs();
    context.set('key', key);
    await next();
    deps.state.changed();
    return undefined;
  };
}
