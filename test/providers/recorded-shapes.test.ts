/**
 * The adapters against responses written to the vendors' documented shapes (OpenAI
 * OpenAPI schemas; Anthropic Admin API and OpenRouter docs; ARM), including fields the
 * adapters do not read and nulls where the schemas allow them, so that a real answer is
 * not rejected as "unexpected response shape".
 */
import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createAnthropicProvider } from '../../src/providers/anthropic/anthropic-provider.js';
import type { FetchFunction } from '../../src/providers/http/provider-http.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { createOpenRouterProvider } from '../../src/providers/openrouter/openrouter-provider.js';

type Route = (url: URL, init: RequestInit | undefined) => unknown;

function router(routes: Record<string, Route>): { fetch: FetchFunction; seen: string[] } {
  const seen: string[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const url = new URL(String(input));
    const key = `${init?.method ?? 'GET'} ${url.pathname}`;
    seen.push(`${key}${url.search}`);
    const route = routes[key];
    if (!route) return new Response(JSON.stringify({ error: { message: 'no route', type: 'invalid_request_error', param: null, code: null } }), { status: 404 });
    return new Response(JSON.stringify(route(url, init)), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, seen };
}

const SA_KEY = 'sk-svcacct-RECORDEDvalue0000000000000000T3BlbkFJ0000000000000000000Zz9Q';

describe('recorded response shapes', () => {
  it('openai: service account create, service account list, project keys with both owner kinds, usage pages', async () => {
    const { fetch, seen } = router({
      'POST /v1/organization/projects/proj_abc/service_accounts': () => ({
        object: 'organization.project.service_account',
        id: 'svc_acct_abc',
        name: 'rekey-r1',
        role: 'member',
        created_at: 1711471533,
        api_key: { object: 'organization.project.service_account.api_key', value: SA_KEY, name: 'Secret Key', created_at: 1711471533, id: 'key_abc' },
      }),
      'GET /v1/organization/projects/proj_abc/service_accounts': () => ({
        object: 'list',
        data: [{ object: 'organization.project.service_account', id: 'svc_acct_abc', name: 'rekey-r1', role: 'member', created_at: 1711471533 }],
        first_id: 'svc_acct_abc',
        last_id: 'svc_acct_abc',
        has_more: false,
      }),
      'GET /v1/organization/projects/proj_abc/api_keys': () => ({
        object: 'list',
        data: [
          {
            object: 'organization.project.api_key',
            redacted_value: 'sk-svcacct-...Z9Q',
            name: 'Secret Key',
            created_at: 1711471533,
            last_used_at: null,
            id: 'key_abc',
            owner_project_access: 'active',
            owner: { type: 'service_account', service_account: { id: 'svc_acct_abc', name: 'rekey-r1', created_at: 1711471533, role: 'member' } },
          },
          {
            object: 'organization.project.api_key',
            redacted_value: 'sk-abc...def',
            name: 'My API Key',
            created_at: 1711471533,
            last_used_at: 1711471534,
            id: 'key_user',
            owner_project_access: 'active',
            owner: { type: 'user', user: { id: 'user_abc', name: 'First Last', email: 'user@example.com', role: 'owner', added_at: 1711471533 } },
          },
        ],
        first_id: 'key_abc',
        last_id: 'key_user',
        has_more: false,
      }),
      'GET /v1/organization/projects/proj_abc/api_keys/key_abc': () => ({
        object: 'organization.project.api_key',
        redacted_value: 'sk-svcacct-...Z9Q',
        name: 'Secret Key',
        created_at: 1711471533,
        last_used_at: 1730419260,
        id: 'key_abc',
        owner_project_access: 'active',
        owner: { type: 'service_account', service_account: { id: 'svc_acct_abc', name: 'rekey-r1', created_at: 1711471533, role: 'member' } },
      }),
      'GET /v1/organization/usage/completions': (url) =>
        url.searchParams.get('page')
          ? { object: 'page', data: [{ object: 'bucket', start_time: 1730419260, end_time: 1730419320, results: [] }], has_more: false, next_page: null }
          : {
              object: 'page',
              data: [
                {
                  object: 'bucket',
                  start_time: 1730419200,
                  end_time: 1730419260,
                  results: [
                    {
                      object: 'organization.usage.completions.result',
                      input_tokens: 10,
                      output_tokens: 5,
                      input_cached_tokens: 0,
                      input_audio_tokens: 0,
                      output_audio_tokens: 0,
                      num_model_requests: 4,
                      project_id: null,
                      user_id: null,
                      api_key_id: 'key_abc',
                      model: null,
                      batch: null,
                      service_tier: null,
                    },
                  ],
                },
              ],
              has_more: true,
              next_page: 'page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=',
            },
    });
    const provider = createOpenAIProvider({ adminKey: new SecretValue('sk-admin-recorded-test'), baseUrl: 'https://api.openai.test/v1', fetch, environment: {} });
    const credential = { name: 'openai/a/prod', scope: { project: 'proj_abc' }, allowedModels: [] };
    const minted = await provider.mint({ credential, rotationId: 'r1' });
    expect(minted).toMatchObject({ providerKeyId: 'key_abc', providerData: { serviceAccountId: 'svc_acct_abc', projectId: 'proj_abc' } });
    expect(minted.value.reveal()).toBe(SA_KEY);
    expect(await provider.findMinted?.({ credential, rotationId: 'r1' })).toMatchObject({ providerKeyId: 'key_abc', redactedValue: 'sk-svcacct-...Z9Q', providerData: { serviceAccountId: 'svc_acct_abc' } });
    const keys = await provider.listKeys?.({ credential });
    expect(keys?.map((key) => [key.providerKeyId, key.providerData['serviceAccountId'] ?? null])).toEqual([
      ['key_abc', 'svc_acct_abc'],
      ['key_user', null],
    ]);
    const usage = await provider.usage?.({ credential, providerKeyId: 'key_abc', providerData: {}, since: new Date(1730419200_000), until: new Date(1730419320_000) });
    expect(usage).toEqual({ requests: 4, lastUsedAt: new Date(1730419260_000), resolutionSeconds: 60 });
    const usageCalls = seen.filter((call) => call.includes('/usage/completions'));
    expect(usageCalls[0]).toContain('group_by=api_key_id');
    expect(usageCalls[0]).toContain('api_key_ids=key_abc');
    expect(usageCalls[1]).toContain('page=page_AAAAAGdGxdEiJdKOAAAAAGcqsYA%3D');
  });

  it('anthropic: api key list and get with principal and scope, status update', async () => {
    const hintKey = 'sk-ant-api03-R2D' + 'x'.repeat(88) + 'igAA';
    const apiKey = {
      type: 'api_key',
      id: 'apikey_01Rj2N8SVvo6BePZj99NhmiT',
      created_at: '2024-10-30T23:58:27.427722Z',
      created_by: { id: 'user_01WCz1FkmYMm4gnmykNKUu3Q', type: 'user' },
      expires_at: null,
      name: 'Developer Key',
      partial_key_hint: 'sk-ant-api03-R2D...igAA',
      status: 'active',
      workspace_id: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
      principal: { type: 'user_actor', user_id: 'user_01WCz1FkmYMm4gnmykNKUu3Q' },
      scope: { type: 'workspace', workspace_id: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ' },
    };
    let updatedTo: unknown;
    const { fetch } = router({
      'GET /v1/models': () => ({ data: [{ type: 'model', id: 'claude-sonnet-4-20250514', display_name: 'Claude Sonnet 4', created_at: '2025-05-22T00:00:00Z' }], has_more: false, first_id: 'claude-sonnet-4-20250514', last_id: 'claude-sonnet-4-20250514' }),
      'GET /v1/organizations/api_keys': () => ({ data: [apiKey], has_more: false, first_id: apiKey.id, last_id: apiKey.id }),
      'GET /v1/organizations/api_keys/apikey_01Rj2N8SVvo6BePZj99NhmiT': () => apiKey,
      'POST /v1/organizations/api_keys/apikey_01Rj2N8SVvo6BePZj99NhmiT': (_url, init) => {
        updatedTo = JSON.parse(String(init?.body));
        return { ...apiKey, status: 'inactive' };
      },
    });
    const provider = createAnthropicProvider({ adminKey: new SecretValue('sk-ant-admin01-recorded'), baseUrl: 'https://api.anthropic.test', fetch, environment: {} });
    const credential = { name: 'anthropic/a/prod', scope: { workspace: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ' }, allowedModels: [] };
    const minted = await provider.mint({ credential, rotationId: 'r1', suppliedValue: new SecretValue(hintKey) });
    expect(minted).toMatchObject({ providerKeyId: apiKey.id, providerData: { workspaceId: apiKey.workspace_id } });
    expect(await provider.revoke({ credential, providerKeyId: apiKey.id, providerData: {} })).toEqual({ alreadyGone: false });
    expect(updatedTo).toEqual({ status: 'inactive' });
  });

  it('openrouter: 201 create with data and key, list, key info', async () => {
    const created = {
      hash: 'f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943',
      name: 'rekey-r1',
      label: 'sk-or-v1-0e6...1c96',
      disabled: false,
      limit: null,
      limit_remaining: null,
      limit_reset: null,
      include_byok_in_limit: false,
      usage: 0,
      usage_daily: 0,
      usage_weekly: 0,
      usage_monthly: 0,
      byok_usage: 0,
      created_at: '2025-08-24T10:30:00Z',
      updated_at: null,
      expires_at: null,
      creator_user_id: 'user_2dHFtVWx2n56w6HkM0000000000',
      workspace_id: null,
    };
    const value = 'sk-or-v1-0e6' + 'a'.repeat(49) + '1c96';
    const { fetch } = router({
      'POST /api/v1/keys': () => ({ data: created, key: value }),
      'GET /api/v1/keys': (url) => ({ data: url.searchParams.get('offset') ? [] : [created] }),
      'GET /api/v1/key': () => ({ data: { label: created.label, limit: null, usage: 0, is_free_tier: false, limit_remaining: null, is_provisioning_key: false } }),
    });
    const provider = createOpenRouterProvider({ managementKey: new SecretValue('sk-or-v1-management-recorded'), baseUrl: 'https://openrouter.test/api/v1', fetch, environment: {} });
    const credential = { name: 'openrouter/a/prod', scope: {}, allowedModels: [] };
    const minted = await provider.mint({ credential, rotationId: 'r1' });
    expect(minted.providerKeyId).toBe(created.hash);
    expect(await provider.findMinted?.({ credential, rotationId: 'r1' })).toMatchObject({ providerKeyId: created.hash, redactedValue: created.label, status: 'active' });
    expect(await provider.test({ credential, value: minted.value })).toMatchObject({ liveness: 'live', scopeMatches: true });
  });
});
