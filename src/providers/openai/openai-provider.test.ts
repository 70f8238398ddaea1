import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../core/secret-value.js';
import type { FetchFunction } from '../http/provider-http.js';
import { createOpenAIProvider } from './openai-provider.js';

/** Answers by "METHOD /path" with a status; counts calls. */
function answering(statuses: Record<string, number>): FetchFunction {
  return async (input, init) => {
    const url = new URL(String(input));
    const status = statuses[`${init?.method ?? 'GET'} ${url.pathname}`] ?? 404;
    const body = status < 300 ? { object: 'list', data: [], has_more: false } : { error: { message: 'x', type: 'invalid_request_error', param: null, code: null } };
    return new Response(JSON.stringify(body), { status });
  };
}

const credential = { name: 'openai/a/prod', scope: {}, allowedModels: ['gpt-4o-mini'] };
const value = new SecretValue('sk-proj-restricted-key-value-0000');

function providerWith(statuses: Record<string, number>) {
  return createOpenAIProvider({ adminKey: new SecretValue('sk-admin-unit-test'), baseUrl: 'https://api.openai.test/v1', fetch: answering(statuses), environment: {}, retry: { maxAttempts: 1 } });
}

describe('openai key test', () => {
  it('takes 401 as dead', async () => {
    expect((await providerWith({ 'GET /v1/models': 401 }).test({ credential, value })).liveness).toBe('dead');
  });

  it('lets a restricted key (403 on /models) be live when a model probe answers', async () => {
    const result = await providerWith({ 'GET /v1/models': 403, 'POST /v1/chat/completions': 200 }).test({ credential, value });
    expect(result).toMatchObject({ liveness: 'live', models: [{ model: 'gpt-4o-mini', ok: true, status: 200 }] });
  });

  it('never takes a 403 for dead or live when no probe answers', async () => {
    expect((await providerWith({ 'GET /v1/models': 403, 'POST /v1/chat/completions': 403 }).test({ credential, value })).liveness).toBe('unknown');
    expect((await providerWith({ 'GET /v1/models': 403 }).test({ credential: { ...credential, allowedModels: [] }, value })).liveness).toBe('unknown');
  });

  it('does not call a key live when /models accepts it but a probe refuses it', async () => {
    expect((await providerWith({ 'GET /v1/models': 200, 'POST /v1/chat/completions': 401 }).test({ credential, value })).liveness).toBe('unknown');
  });
});
