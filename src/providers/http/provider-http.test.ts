import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';
import { backoffMs, createProviderHttp, isOutcomeUnknown, retryAfterMs } from './provider-http.js';
import type { FetchFunction, ProviderHttpOptions } from './provider-http.js';

const KEY = 'sk-proj-PLANTEDsecretVALUE0123456789T3BlbkFJabcdefghijklmnop';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

interface Harness {
  calls: Array<{ url: string; init: RequestInit | undefined }>;
  sleeps: number[];
  http: ReturnType<typeof createProviderHttp>;
  clockMs: () => number;
}

/** Each fetch call takes the next scripted answer; sleeping moves a fake clock. */
function harness(script: Array<Response | Error | (() => Promise<Response>)>, options: Partial<ProviderHttpOptions> = {}): Harness {
  const calls: Harness['calls'] = [];
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const fetch: FetchFunction = async (input, init) => {
    calls.push({ url: String(input), init });
    const next = script.shift();
    if (next === undefined) throw new Error('script exhausted');
    if (next instanceof Error) throw next;
    if (typeof next === 'function') return next();
    return next;
  };
  const http = createProviderHttp({
    provider: 'openai',
    fetch,
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
      clock += milliseconds;
    },
    now: () => clock,
    random: () => 0.5,
    ...options,
  });
  return { calls, sleeps, http, clockMs: () => clock };
}

function networkError(code: string): Error {
  return Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

describe('provider HTTP helper', () => {
  it('honours retry-after in seconds on a 429, then succeeds', async () => {
    const test = harness([json(429, { error: { code: 'rate_limit_exceeded' } }, { 'retry-after': '3' }), json(200, { ok: true })]);
    const response = await test.http.request({ operation: 'list models', method: 'GET', url: 'https://api.example/v1/models' });
    expect(response.body).toEqual({ ok: true });
    expect(test.sleeps).toEqual([3000]);
    expect(test.calls).toHaveLength(2);
  });

  it('honours retry-after as an HTTP date and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }), now)).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, within bounds', () => {
    const settings = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(1, settings, () => 0)).toBe(50);
    expect(backoffMs(1, settings, () => 0.999)).toBe(100);
    expect(backoffMs(3, settings, () => 0)).toBe(200);
    expect(backoffMs(10, settings, () => 0.999)).toBe(1000);
    expect(backoffMs(10, settings, () => 0)).toBe(500);
  });

  it('retries 5xx and network errors on idempotent requests with growing waits', async () => {
    const test = harness([json(500, {}), json(503, {}), networkError('ECONNRESET'), json(200, { data: [] })], {
      retry: { baseDelayMs: 100, maxDelayMs: 10_000 },
    });
    await test.http.request({ operation: 'list keys', method: 'GET', url: 'https://api.example/keys' });
    expect(test.sleeps).toEqual([75, 150, 300]);
  });

  it('never retries a non-idempotent request blindly: a 5xx or reset is "outcome unknown"', async () => {
    for (const answer of [json(500, {}), networkError('ECONNRESET')]) {
      const test = harness([answer, json(200, {})]);
      const error = await test.http
        .request({ operation: 'create service account', method: 'POST', url: 'https://api.example/sa', body: { name: 'x' } })
        .catch((caught: unknown) => caught);
      expect(isOutcomeUnknown(error)).toBe(true);
      expect(error).toBeInstanceOf(ProviderError);
      expect(test.calls).toHaveLength(1);
    }
  });

  it('retries a non-idempotent request when the provider cannot have acted (429, connection refused)', async () => {
    const test = harness([json(429, {}, { 'retry-after': '1' }), networkError('ECONNREFUSED'), json(200, { id: 'sa_1' })]);
    const response = await test.http.request({ operation: 'create service account', method: 'POST', url: 'https://api.example/sa', body: {} });
    expect(response.body).toEqual({ id: 'sa_1' });
    expect(test.calls).toHaveLength(3);
  });

  it('takes a 409 on a create as a definite answer: no retry, no reconcile', async () => {
    const test = harness([json(409, { error: { code: 'conflict' } }), json(200, {})]);
    const error = await test.http.request({ operation: 'create key', method: 'POST', url: 'https://api.example/keys', body: {} }).catch((caught: unknown) => caught);
    expect(isOutcomeUnknown(error)).toBe(false);
    expect(error).toMatchObject({ status: 409, isRetryable: false, providerCode: 'conflict' });
    expect(test.calls).toHaveLength(1);
  });

  it('does not retry a 401 and reports status and provider code', async () => {
    const test = harness([json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } })]);
    const error = (await test.http.request({ operation: 'list models', method: 'GET', url: 'https://api.example/v1/models' }).catch((caught: unknown) => caught)) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.status).toBe(401);
    expect(error.providerCode).toBe('invalid_api_key');
    expect(error.isRetryable).toBe(false);
    expect(test.calls).toHaveLength(1);
  });

  it('bounds total time: a retry-after beyond the budget gives up at once', async () => {
    const test = harness([json(429, {}, { 'retry-after': '600' })], { retry: { maxTotalMs: 60_000 } });
    const error = (await test.http.request({ operation: 'list models', method: 'GET', url: 'https://api.example/v1/models' }).catch((caught: unknown) => caught)) as ProviderError;
    expect(error.isRetryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(600);
    expect(error.message).toMatch(/budget/);
    expect(test.sleeps).toEqual([]);
  });

  it('stops after maxAttempts', async () => {
    const test = harness([json(502, {}), json(502, {}), json(502, {}), json(200, {})], { retry: { maxAttempts: 3 } });
    const error = (await test.http.request({ operation: 'list', method: 'GET', url: 'https://api.example/x' }).catch((caught: unknown) => caught)) as ProviderError;
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/after 3 attempts/);
    expect(test.calls).toHaveLength(3);
  });

  it('times out a hung attempt and retries it', async () => {
    const hung = () => new Promise<Response>(() => undefined);
    let first = true;
    const fetch: FetchFunction = (_input, init) => {
      if (!first) return Promise.resolve(json(200, { ok: 1 }));
      first = false;
      return new Promise<Response>((_resolve, reject) => {
        void hung();
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    };
    const http = createProviderHttp({ provider: 'openai', fetch, sleep: async () => undefined, retry: { timeoutMs: 20 } });
    const response = await http.request({ operation: 'list', method: 'GET', url: 'https://api.example/x' });
    expect(response.status).toBe(200);
  });

  it('hands accepted statuses back instead of throwing', async () => {
    const test = harness([json(404, { error: { code: 'not_found' } })]);
    const response = await test.http.request({ operation: 'delete', method: 'DELETE', url: 'https://api.example/x', acceptStatuses: [404] });
    expect(response.status).toBe(404);
  });

  it('stops when the caller cancels', async () => {
    const controller = new AbortController();
    controller.abort();
    const test = harness([json(200, {})]);
    await expect(test.http.request({ operation: 'list', method: 'GET', url: 'https://api.example/x', signal: controller.signal })).rejects.toThrow(/cancelled/);
    expect(test.calls).toHaveLength(0);
  });

  it('puts keys only in headers and builds queries in either array format', async () => {
    const test = harness([json(200, {}), json(200, {})]);
    await test.http.request({
      operation: 'usage',
      method: 'GET',
      url: 'https://api.example/usage',
      headers: { authorization: new SecretValue(`Bearer ${KEY}`) },
      query: { group_by: ['api_key_id', 'model'], limit: 5, skip: undefined },
    });
    await test.http.request({ operation: 'usage', method: 'GET', url: 'https://api.example/usage', query: { 'group_by': ['api_key_id'] }, arrayFormat: 'brackets' });
    expect(test.calls[0]?.url).toBe('https://api.example/usage?group_by=api_key_id&group_by=model&limit=5');
    expect(test.calls[1]?.url).toBe('https://api.example/usage?group_by%5B%5D=api_key_id');
    expect((test.calls[0]?.init?.headers as Record<string, string>)['authorization']).toBe(`Bearer ${KEY}`);
  });

  it('never carries a key, a body or a secret query value in an error (the URL is named, its secret query values masked)', async () => {
    const bodies = [
      json(401, { error: { message: `Incorrect API key provided: ${KEY}`, code: KEY } }),
      json(400, { error: { message: `bad ${KEY}`, type: 'invalid_request_error' } }, { 'retry-after': '1' }),
      json(500, { detail: KEY }),
      networkError('ECONNRESET'),
    ];
    for (const answer of bodies) {
      const test = harness([answer]);
      const error = await test.http
        .request({
          operation: 'create key',
          method: 'POST',
          url: 'https://user:pw@api.example/v1/path-segment?token=hidden&limit=5',
          headers: { authorization: new SecretValue(`Bearer ${KEY}`) },
          body: { value: KEY },
        })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      const rendered = [String(error), JSON.stringify(error), inspect(error, { depth: 5 }), JSON.stringify({ ...(error as object) })].join('\n');
      expect(rendered).not.toContain(KEY);
      expect(rendered).not.toContain('PLANTED');
      expect(rendered).not.toContain('hidden');
      expect(rendered).not.toContain('pw@');
      expect((error as Error).message).toContain('POST https://api.example/v1/path-segment?token=…&limit=5');
    }
  });

  describe('errors that say what to do', () => {
    const settings = { credentialVariable: 'OPENAI_ADMIN_KEY', baseUrlVariable: 'OPENAI_BASE_URL', basePath: '/v1' };
    const fail = async (answer: Response | Error, url: string, method: 'GET' | 'POST' = 'GET') => {
      const test = harness([answer, answer, answer, answer, answer], { settings });
      const error = await test.http.request({ operation: 'list projects', method, url }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      return (error as ProviderError).message;
    };

    it('a base URL without /v1: method, URL, status, code and the fix', async () => {
      const message = await fail(json(404, { error: { code: 'not_found' } }), 'http://127.0.0.1:9/organization/projects');
      expect(message).toBe(
        'openai: list projects failed: GET http://127.0.0.1:9/organization/projects → HTTP 404 (not_found); hint: the base URL lacks /v1: set OPENAI_BASE_URL to http://127.0.0.1:9/v1',
      );
    });

    it('a wrong admin key names the variable that holds it', async () => {
      const message = await fail(json(401, { error: { code: 'invalid_api_key' } }), 'https://api.example/v1/organization/projects');
      expect(message).toContain('GET https://api.example/v1/organization/projects → HTTP 401 (invalid_api_key)');
      expect(message).toContain('hint: the admin key is not valid: check the admin key in OPENAI_ADMIN_KEY');
    });

    it('ENOTFOUND names the host name', async () => {
      const message = await fail(networkError('ENOTFOUND'), 'https://api.nowhere.example/v1/models');
      expect(message).toContain('network error (ENOTFOUND)');
      expect(message).toContain('hint: the host name api.nowhere.example does not resolve: check OPENAI_BASE_URL');
    });

    it('a 404 under /v1 says which ids to check', async () => {
      const message = await fail(json(404, { error: { code: 'not_found' } }), 'https://api.example/v1/organization/projects/proj_abc/service_accounts', 'POST');
      expect(message).toContain('POST https://api.example/v1/organization/projects/proj_abc/service_accounts → HTTP 404');
      expect(message).toMatch(/hint: the provider does not know an id in this URL/);
    });

    it('marks refusals and never-sent requests as not acted on, with a comparable failure', async () => {
      const test = harness([json(404, { error: { code: 'not_found' } })], { settings });
      const error = (await test.http.request({ operation: 'create', method: 'POST', url: 'https://api.example/v1/x' }).catch((caught: unknown) => caught)) as ProviderError;
      expect(error.definitelyNotActedOn).toBe(true);
      expect(error.failure).toBe('status:404:not_found');
    });
  });
});
