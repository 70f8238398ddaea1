/**
 * The one HTTP helper every provider adapter calls (STYLE.md §7). It owns timeouts,
 * retries with exponential backoff and jitter that honour `retry-after`, a bound on total
 * time, and turning failures into typed `ProviderError`s.
 *
 * Safety rules kept here so that adapters cannot forget them:
 * - key values travel only in headers; errors name the operation, the method and the URL
 *   (user info dropped, query values that could be secrets masked), the HTTP status, the
 *   provider's error code and one hint — never a body or a header — and any secret the
 *   helper saw is scrubbed from what it does report;
 * - a request that is not idempotent (a mint) is retried only when the provider cannot
 *   have acted on it (429, connection refused). Any other failure is reported as
 *   `ProviderOutcomeUnknownError` so that the adapter reconciles (lists what exists)
 *   before it tries again, instead of minting twice.
 */
import { ProviderError } from '../../core/errors.js';
import type { ProviderErrorOptions } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';

export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface RetrySettings {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Give up when the next wait would end after this much time since the first attempt. */
  maxTotalMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  maxAttempts: 5,
  timeoutMs: 30_000,
  maxTotalMs: 120_000,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
};

export interface ProviderHttpOptions {
  /** `openai`, `anthropic`…: names the provider in errors. */
  provider: string;
  fetch?: FetchFunction | undefined;
  /** Injected so that retry tests do not wait for real. */
  sleep?: ((milliseconds: number) => Promise<void>) | undefined;
  now?: (() => number) | undefined;
  /** A number in [0, 1) for jitter. */
  random?: (() => number) | undefined;
  retry?: Partial<RetrySettings> | undefined;
  /** Reads the provider's error code (e.g. `invalid_api_key`) out of a parsed error body. */
  errorCodeOf?: ((body: unknown) => string | undefined) | undefined;
  /** Where the adapter's settings come from, so that an error can say which one to fix. */
  settings?: ProviderSettingNames | undefined;
}

/** Names for hints: `OPENAI_ADMIN_KEY`, `OPENAI_BASE_URL`, and the path every request starts with (`/v1`). */
export interface ProviderSettingNames {
  credentialVariable?: string | undefined;
  baseUrlVariable?: string | undefined;
  /** The path prefix every API URL has, e.g. `/v1` or `/api/v1`. */
  basePath?: string | undefined;
}

/** The transport settings every adapter's options accept (injectable for tests). */
export type ProviderTransportOptions = Pick<ProviderHttpOptions, 'fetch' | 'sleep' | 'now' | 'retry'>;

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export interface ProviderHttpRequest {
  /** Short, value-free words for errors: `create service account`. */
  operation: string;
  method: HttpMethod;
  url: string;
  query?: Record<string, string | number | boolean | readonly string[] | undefined> | undefined;
  /** `repeat` sends `a=1&a=2`; `brackets` sends `a[]=1&a[]=2`. */
  arrayFormat?: 'repeat' | 'brackets' | undefined;
  headers?: Record<string, string | SecretValue> | undefined;
  body?: unknown;
  /** Defaults: GET, HEAD, PUT and DELETE are idempotent; POST and PATCH are not. */
  idempotent?: boolean | undefined;
  /** Statuses handed back to the caller instead of thrown (e.g. 404 for an idempotent delete, 401 for a liveness test). */
  acceptStatuses?: readonly number[] | undefined;
  /** Override the helper's retry settings for this call (e.g. a single attempt). */
  retry?: Partial<RetrySettings> | undefined;
  signal?: AbortSignal | undefined;
}

export interface ProviderHttpResponse {
  status: number;
  /** Parsed JSON, or `undefined` when the body was empty or not JSON. */
  body: unknown;
  headers: Headers;
}

export interface ProviderHttp {
  readonly provider: string;
  request(request: ProviderHttpRequest): Promise<ProviderHttpResponse>;
}

/**
 * The provider may have acted on a non-idempotent request (a timeout, a reset connection,
 * a 5xx after the body was sent): list what exists before trying again.
 */
export class ProviderOutcomeUnknownError extends ProviderError {
  readonly outcomeUnknown = true;
}

export function isOutcomeUnknown(error: unknown): error is ProviderOutcomeUnknownError {
  return error instanceof ProviderOutcomeUnknownError;
}

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);
/** Network failures in which the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function createProviderHttp(options: ProviderHttpOptions): ProviderHttp {
  const fetchFunction: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const baseSettings: RetrySettings = { ...DEFAULT_RETRY_SETTINGS, ...options.retry };
  const provider = options.provider;

  async function request(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    const settings: RetrySettings = { ...baseSettings, ...request.retry };
    const idempotent = request.idempotent ?? !(request.method === 'POST' || request.method === 'PATCH');
    const secrets = collectSecrets(request);
    const url = buildUrl(request);
    const headers = revealHeaders(request);
    const init: RequestInit = { method: request.method, headers };
    if (request.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      init.body = JSON.stringify(request.body);
    }
    const started = now();
    const scrub = (text: string) => scrubSecrets(text, secrets);
    let attempt = 0;

    for (;;) {
      attempt += 1;
      throwIfAborted(request, provider);
      const attemptSignal = request.signal
        ? AbortSignal.any([request.signal, AbortSignal.timeout(settings.timeoutMs)])
        : AbortSignal.timeout(settings.timeoutMs);
      let failure: Failure;
      try {
        const response = await fetchFunction(url, { ...init, signal: attemptSignal });
        const body = await readBody(response);
        if (response.ok || request.acceptStatuses?.includes(response.status)) {
          return { status: response.status, body, headers: response.headers };
        }
        const providerCode = safeCode(options.errorCodeOf?.(body) ?? defaultErrorCode(body), secrets);
        failure = {
          kind: 'status',
          status: response.status,
          providerCode,
          retryAfterMs: retryAfterMs(response.headers, now()),
          // A 409 on a create is a definite "no" (e.g. a name taken), not a transient state.
          retryable: RETRYABLE_STATUSES.has(response.status) && (idempotent || response.status !== 409),
          // 408, 425 and 429 say the provider did not act on the request; a 5xx does not.
          notActedOn: response.status === 429 || response.status === 425 || response.status === 408,
        };
      } catch (error) {
        if (request.signal?.aborted) throwIfAborted(request, provider);
        const code = networkCode(error);
        const timedOut = isTimeout(error);
        failure = {
          kind: 'network',
          code: timedOut ? 'TIMEOUT' : code,
          detail: timedOut ? `timed out after ${settings.timeoutMs} ms` : `network error${code ? ` (${code})` : ''}`,
          retryable: true,
          notActedOn: code !== undefined && NOT_SENT_CODES.has(code),
        };
      }

      const mayRetry = failure.retryable && (idempotent || failure.notActedOn);
      const where = `${request.method} ${describeUrl(url)}`;
      const hint = hintFor(failure, url, options.settings);
      const describe = () =>
        `${where} → ${failure.kind === 'status' ? `HTTP ${failure.status}${failure.providerCode ? ` (${failure.providerCode})` : ''}` : failure.detail}`;
      const withHint = (text: string) => (hint === undefined ? text : `${text}; hint: ${hint}`);
      const errorOptions = (): ProviderErrorOptions => ({
        provider,
        isRetryable: failure.retryable,
        failure: failure.kind === 'status' ? `status:${failure.status}:${failure.providerCode ?? ''}` : `network:${failure.code ?? 'unknown'}`,
        definitelyNotActedOn: failure.notActedOn || (failure.kind === 'status' && failure.status >= 400 && failure.status < 500 && !failure.retryable),
        ...(failure.kind === 'status'
          ? {
              status: failure.status,
              providerCode: failure.providerCode,
              retryAfterSeconds: failure.retryAfterMs === undefined ? undefined : Math.ceil(failure.retryAfterMs / 1000),
            }
          : {}),
      });

      if (failure.retryable && !idempotent && !failure.notActedOn) {
        throw new ProviderOutcomeUnknownError(
          scrub(withHint(`${provider}: ${request.operation}: ${describe()}; the provider may have acted on it, reconcile before retrying`)),
          errorOptions(),
        );
      }
      if (!mayRetry || attempt >= settings.maxAttempts) {
        const suffix = mayRetry ? ` after ${attempt} attempts` : '';
        throw new ProviderError(scrub(withHint(`${provider}: ${request.operation} failed: ${describe()}${suffix}`)), errorOptions());
      }
      const backoff = backoffMs(attempt, settings, random);
      const wait = failure.kind === 'status' && failure.retryAfterMs !== undefined ? Math.max(failure.retryAfterMs, 0) : backoff;
      if (now() - started + wait > settings.maxTotalMs) {
        throw new ProviderError(
          scrub(withHint(`${provider}: ${request.operation} failed: ${describe()}; gave up after ${attempt} attempts (retry budget of ${settings.maxTotalMs} ms spent)`)),
          errorOptions(),
        );
      }
      await sleep(wait);
    }
  }

  return { provider, request };
}

type Failure =
  | { kind: 'status'; status: number; providerCode: string | undefined; retryAfterMs: number | undefined; retryable: boolean; notActedOn: boolean }
  | { kind: 'network'; code: string | undefined; detail: string; retryable: boolean; notActedOn: boolean };

/** Query parameters whose values are never printed (a key or signature can travel there). */
const SECRET_QUERY = /key|token|secret|sig|pass|auth|code|credential/i;

/** The URL as an error may print it: no user info, no fragment, query values masked when their name could hold a secret. */
export function describeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(invalid URL)';
  }
  url.username = '';
  url.password = '';
  url.hash = '';
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (SECRET_QUERY.test(name)) url.searchParams.set(name, '…');
  }
  return url.toString().replace(/%E2%80%A6/g, '…');
}

/** One hint for the failure: which setting to check, or what to do next. */
function hintFor(failure: Failure, raw: string, settings: ProviderSettingNames | undefined): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const baseVariable = settings?.baseUrlVariable;
  const keyVariable = settings?.credentialVariable;
  if (failure.kind === 'network') {
    const host = url?.hostname ?? 'the host';
    if (failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN') return `the host name ${host} does not resolve${baseVariable ? `: check ${baseVariable}` : ''}`;
    if (failure.code === 'ECONNREFUSED') return `nothing answers at ${url?.host ?? host}${baseVariable ? `: check ${baseVariable}` : ''} (is the server or emulator running?)`;
    if (failure.code === 'TIMEOUT') return `${url?.host ?? host} did not answer in time; try again, or check ${baseVariable ?? 'the base URL'}`;
    return `${url?.host ?? host} could not be reached${baseVariable ? `: check ${baseVariable}` : ''}`;
  }
  const basePath = settings?.basePath;
  if (failure.status === 404 && url !== undefined && basePath !== undefined && !url.pathname.startsWith(basePath + '/')) {
    return `the base URL lacks ${basePath}: set ${baseVariable ?? 'the base URL'} to ${url.origin}${basePath}`;
  }
  if (failure.status === 401) return `the ${failure.providerCode === 'invalid_api_key' ? 'admin key is not valid' : 'provider refused the credentials'}${keyVariable ? `: check the admin key in ${keyVariable}` : ''}`;
  if (failure.status === 403) return `the key is valid but lacks the permission for this call${keyVariable ? `: give the key in ${keyVariable} the needed scope (an admin key for Admin API calls)` : ''}`;
  if (failure.status === 404) return 'the provider does not know an id in this URL (project, service account or key): check the credential\'s scope and provider key id (`rekey credential edit`)';
  if (failure.status === 429) return 'rate limited: try again later';
  if (failure.status >= 500) return 'the provider failed; try again later';
  return undefined;
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffMs(attempt: number, settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** `retry-after-ms`, `retry-after` in seconds, or `retry-after` as an HTTP date. */
export function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Math.ceil(Number(milliseconds));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function buildUrl(request: ProviderHttpRequest): string {
  const url = new URL(request.url);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      const key = request.arrayFormat === 'brackets' ? `${name}[]` : name;
      for (const item of value as readonly string[]) url.searchParams.append(key, item);
    } else {
      url.searchParams.set(name, String(value));
    }
  }
  return url.toString();
}

function revealHeaders(request: ProviderHttpRequest): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    headers[name.toLowerCase()] = typeof value === 'string' ? value : value.reveal();
  }
  return headers;
}

/** Every header value that is a secret, and the tokens inside it (`Bearer sk-…` → `sk-…`). */
function collectSecrets(request: ProviderHttpRequest): string[] {
  const secrets: string[] = [];
  for (const value of Object.values(request.headers ?? {})) {
    if (typeof value === 'string') continue;
    const revealed = value.reveal();
    secrets.push(revealed);
    for (const part of revealed.split(/\s+/)) if (part.length >= 8 && part !== revealed) secrets.push(part);
  }
  return secrets;
}

/** `Authorization: Bearer <key>` as a secret header value. */
export function bearerHeader(key: SecretValue): SecretValue {
  return new SecretValue(`Bearer ${key.reveal()}`);
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    result = result.split(secret).join('[redacted]');
  }
  return result;
}

/** A provider code is kept only when it looks like a code: short, no spaces, and not a secret. */
function safeCode(code: string | undefined, secrets: readonly string[]): string | undefined {
  if (code === undefined || !/^[A-Za-z0-9_.:-]{1,64}$/.test(code)) return undefined;
  if (secrets.some((secret) => secret.length >= 4 && (code.includes(secret) || secret.includes(code) && code.length >= 16))) return undefined;
  return code;
}

/** OpenAI `{error:{code,type}}`, Anthropic `{type:'error',error:{type}}`, OpenRouter `{error:{code}}`. */
export function defaultErrorCode(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body['error'];
  if (isRecord(error)) {
    for (const field of ['code', 'type']) {
      const value = error[field];
      if (typeof value === 'string' && value.length > 0) return value;
      if (typeof value === 'number') return String(value);
    }
  }
  if (typeof error === 'string' && /^[a-z_]+$/.test(error)) return error;
  return undefined;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function throwIfAborted(request: ProviderHttpRequest, provider: string): void {
  if (request.signal?.aborted) {
    throw new ProviderError(`${provider}: ${request.operation} was cancelled`, { provider, isRetryable: false });
  }
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && isRecord(current); depth += 1) {
    const code = current['code'];
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
    current = current['cause'];
  }
  return undefined;
}

function isTimeout(error: unknown): boolean {
  return isRecord(error) && (error['name'] === 'TimeoutError' || error['name'] === 'AbortError');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
