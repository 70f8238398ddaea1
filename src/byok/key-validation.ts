/**
 * Test on save (issue 20): a user's own key is checked for shape, then with one cheap
 * authenticated call that spends nothing — OpenAI and Anthropic `GET /v1/models`,
 * OpenRouter `GET /api/v1/key` — and the answer classified:
 *
 * | answer | status |
 * | --- | --- |
 * | 200 (and every required model listed; OpenRouter: credit left) | `valid` |
 * | 401, 403 (OpenAI, Anthropic, OpenRouter auth errors) | `invalid` |
 * | OpenAI 429 `insufficient_quota`; Anthropic 400 "credit balance is too low"; OpenRouter 402 or `limit_remaining` 0 | `no-quota` |
 * | 200 without a required model | `no-model-access` |
 * | a rate limit, 5xx, timeout, network error, anything else | `unknown` |
 *
 * The value goes only into the vendor's auth header; the detail kept is value-free (the
 * vendor's error type or the HTTP status). The key is never minted, rotated or revoked here.
 */
import { UsageError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import type { ByokProvider, ByokStatus } from '../store/byok-store-types.js';

export interface ValidationResult {
  status: ByokStatus;
  /** Value-free: `http 401 invalid_api_key`, `insufficient_quota`, `missing model gpt-4o`, `network error`. */
  detail: string;
}

export interface ProviderBases {
  openai: string;
  anthropic: string;
  openrouter: string;
}

export const DEFAULT_PROVIDER_BASES: ProviderBases = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  openrouter: 'https://openrouter.ai/api/v1',
};

const SHAPES: Record<ByokProvider, { pattern: RegExp; example: string }> = {
  openai: { pattern: /^sk-(?:proj-|svcacct-|None-)?[A-Za-z0-9_-]{20,300}$/, example: 'sk-proj-…' },
  anthropic: { pattern: /^sk-ant-api\d\d-[A-Za-z0-9_-]{20,300}$/, example: 'sk-ant-api03-…' },
  openrouter: { pattern: /^sk-or-v1-[0-9a-f]{64}$/, example: 'sk-or-v1-<64 hex>' },
};

/** Throws a UsageError naming the provider and the expected shape (never the value). */
export function checkKeyShape(provider: ByokProvider, value: SecretValue): void {
  const shape = SHAPES[provider];
  const text = value.reveal();
  if (!shape.pattern.test(text)) {
    const why = text.trim() !== text ? 'it has leading or trailing white space' : `it does not look like a ${provider} API key (${shape.example})`;
    throw new UsageError(`the ${provider} key is refused before any call: ${why}`);
  }
  if (provider === 'openai' && /^sk-admin-/.test(text)) throw new UsageError('the openai key is an admin key; store an API (project) key');
}

type Fetch = typeof fetch;

async function bodyOf(response: Response): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse((await response.text()).slice(0, 256 * 1024));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function errorOf(body: Record<string, unknown>): { type: string; code: string; message: string } {
  const error = typeof body.error === 'object' && body.error !== null ? (body.error as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return { type: text(error.type), code: text(error.code), message: text(error.message) };
}

/** Only identifier-like tokens go into a detail (a vendor's message could echo a masked key). */
function token(text: string): string {
  return /^[a-z0-9_.-]{1,64}$/i.test(text) ? text : '';
}

function modelIds(body: Record<string, unknown>): Set<string> {
  const data = Array.isArray(body.data) ? body.data : [];
  return new Set(data.map((entry) => (typeof entry === 'object' && entry !== null ? String((entry as Record<string, unknown>).id) : '')));
}

function missingModel(body: Record<string, unknown>, required: readonly string[]): string | undefined {
  const listed = modelIds(body);
  return required.find((model) => !listed.has(model));
}

export interface ValidatorOptions {
  bases?: Partial<ProviderBases>;
  fetch?: Fetch;
  timeoutMilliseconds?: number;
}

export type KeyValidator = (provider: ByokProvider, value: SecretValue, requiredModels: readonly string[]) => Promise<ValidationResult>;

export function createKeyValidator(options: ValidatorOptions = {}): KeyValidator {
  const bases = { ...DEFAULT_PROVIDER_BASES, ...options.bases };
  const doFetch = options.fetch ?? fetch;
  const timeout = options.timeoutMilliseconds ?? 10_000;
  const trim = (base: string) => base.replace(/\/+$/, '');

  return async (provider, value, requiredModels) => {
    checkKeyShape(provider, value);
    const request: { url: string; headers: Record<string, string> } = provider === 'openai'
      ? { url: `${trim(bases.openai)}/models`, headers: { authorization: `Bearer ${value.reveal()}` } }
      : provider === 'anthropic'
        ? { url: `${trim(bases.anthropic)}/v1/models?limit=1000`, headers: { 'x-api-key': value.reveal(), 'anthropic-version': '2023-06-01' } }
        : { url: `${trim(bases.openrouter)}/key`, headers: { authorization: `Bearer ${value.reveal()}` } };
    let response: Response;
    try {
      response = await doFetch(request.url, { method: 'GET', headers: request.headers, signal: AbortSignal.timeout(timeout), redirect: 'error' });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { status: 'unknown', detail: timedOut ? 'timeout' : 'network error' };
    }
    const body = await bodyOf(response);
    const { type, code, message } = errorOf(body);
    const http = `http ${response.status}${token(code) || token(type) ? ` ${token(code) || token(type)}` : ''}`;
    if (response.status === 200) {
      if (provider === 'openrouter') {
        const data = typeof body.data === 'object' && body.data !== null ? (body.data as Record<string, unknown>) : {};
        if (typeof data.limit_remaining === 'number' && data.limit_remaining <= 0) return { status: 'no-quota', detail: 'limit_remaining 0' };
        return { status: 'valid', detail: 'http 200' };
      }
      const missing = missingModel(body, requiredModels);
      if (missing !== undefined) return { status: 'no-model-access', detail: `missing model ${token(missing) || '(unnamed)'}` };
      return { status: 'valid', detail: 'http 200' };
    }
    if (response.status === 401 || response.status === 403) return { status: 'invalid', detail: http };
    if (provider === 'openai' && response.status === 429 && (code === 'insufficient_quota' || type === 'insufficient_quota')) return { status: 'no-quota', detail: 'insufficient_quota' };
    if (provider === 'anthropic' && response.status === 400 && /credit balance is too low/i.test(message)) return { status: 'no-quota', detail: 'credit balance too low' };
    if (provider === 'openrouter' && response.status === 402) return { status: 'no-quota', detail: 'http 402' };
    if (response.status === 404 && (code === 'model_not_found' || type === 'not_found_error')) return { status: 'no-model-access', detail: http };
    return { status: 'unknown', detail: http };
  };
}
