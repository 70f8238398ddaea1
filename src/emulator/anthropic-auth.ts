/**
 * Anthropic error envelopes and `x-api-key` (or Bearer) authentication. Admin routes take only the
 * Admin key (`sk-ant-admin01-…`); inference takes only workspace API keys; any other key
 * gets 401 `invalid x-api-key`, as the real API answers.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BadRequest } from './emulator-http.js';
import { ANTHROPIC_CREDIT_MESSAGE } from './emulator-key-conditions.js';
import { isKeyAccepted, type EmulatedKey } from './emulator-state.js';
import { bearerToken, type EmulatorDeps } from './openai-auth.js';

export type AnthropicEnv = { Variables: { key: EmulatedKey; requestId: string } };

export function anthropicError(context: Context, status: ContentfulStatusCode, type: string, message: string) {
  const requestId = (context.get('requestId' as never) as string | undefined) ?? null;
  return context.json({ type: 'error', error: { type, message }, request_id: requestId }, status);
}

export function anthropicOnError(error: Error, context: Context) {
  if (error instanceof BadRequest) return anthropicError(context, 400, 'invalid_request_error', error.message);
  return anthropicError(context, 500, 'api_error', 'Internal server error');
}

/** Sets `request-id` and the organisation header on every Anthropic response. */
export function anthropicRequestId(deps: EmulatorDeps): MiddlewareHandler<AnthropicEnv> {
  return async (context, next) => {
    const requestId = `req_011C${deps.state.ids.alphanumeric(20)}`;
    context.set('requestId', requestId);
    context.header('request-id', requestId);
    context.header('anthropic-organization-id', deps.state.data.organizationId);
    await next();
  };
}

export function anthropicAuthenticate(deps: EmulatorDeps, surface: 'admin' | 'inference' | 'console'): MiddlewareHandler<AnthropicEnv> {
  return async (context, next) => {
    if (surface !== 'console') await deps.faults.delay();
    // `x-api-key` as documented; newer official SDKs (1.x) send the same key as `Authorization: Bearer`.
    const token = context.req.header('x-api-key')?.trim() || bearerToken(context);
    if (token === undefined || token === '') return anthropicError(context, 401, 'authentication_error', 'x-api-key header is required');
    if (surface !== 'console' && (context.req.header('anthropic-version') ?? '') === '') {
      return anthropicError(context, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const key = deps.state.findKeyByValue(token);
    const wantedKind = surface === 'inference' ? 'api' : 'admin';
    if (key === undefined || key.provider !== 'anthropic' || key.kind !== wantedKind || !isKeyAccepted(key, deps.state.nowMs(), deps.faults.knobs(), false)) {
      return anthropicError(context, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (surface !== 'console') {
      const fault = deps.faults.decide();
      if (fault.kind === 'rate-limit') {
        context.header('retry-after', String(fault.retryAfterSeconds));
        return anthropicError(context, 429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.');
      }
      if (fault.kind === 'server-error') {
        return fault.variant === 0 ? anthropicError(context, 500, 'api_error', 'Internal server error') : anthropicError(context, 529 as ContentfulStatusCode, 'overloaded_error', 'Overloaded');
      }
    }
    if (surface === 'inference' && deps.conditions?.get(key.id)?.outOfQuota === true) {
      return anthropicError(context, 400, 'invalid_request_error', ANTHROPIC_CREDIT_MESSAGE);
    }
    key.lastUsedAt = deps.state.nowMs();
    context.set('key', key);
    await next();
    deps.state.changed();
    return undefined;
  };
}
