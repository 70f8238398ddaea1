/**
 * Fuzz targets for input that arrives over HTTP: provider responses as each adapter parses
 * them, the key endpoint's answers as the SDK parses them, request bodies of `rekey serve`
 * (check-ins, the key route's query and headers) and of `rekey proxy`, and the upstream
 * responses the proxy meters.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { createKeySets } from '../../src/access/key-sets.js';
import { createTokenVerifier } from '../../src/access/token-verifier.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { createAnthropicProvider } from '../../src/providers/anthropic/anthropic-provider.js';
import { createAzureOpenAIProvider } from '../../src/providers/azure-openai/azure-openai-provider.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { createOpenRouterProvider } from '../../src/providers/openrouter/openrouter-provider.js';
import type { ProviderV1 } from '../../src/providers/provider-spec.js';
import { createProxyHandler } from '../../src/proxy/proxy-handler.js';
import { createProxyMeter } from '../../src/proxy/proxy-meter.js';
import { createKeySource, KeySourceError } from '../../src/sdk/index.js';
import { createServerApp } from '../../src/server/server-app.js';
import { createKeyFixture } from '../helpers/key-fixture.js';
import { fuzz, outcomeOf } from './fuzz-harness.js';

const PLANTED = `sk-proj-FUZZ${randomBytes(18).toString('hex')}`;
const NAME = 'openai/fuzz/prod';
/** The key stored for serve and proxy: no generator produces it, so finding it in a refusal is a leak. */
const STORED = `sk-proj-STORED${randomBytes(18).toString('hex')}`;

/** Fields providers answer with, given plausible and implausible values. */
const field = fc.oneof(
  fc.constantFrom('id', 'data', 'object', 'value', 'key', 'api_key', 'name', 'created_at', 'last_used_at', 'status', 'error', 'message', 'has_more', 'results', 'hash', 'properties', 'key1', 'key2', 'usage', 'type'),
  fc.string({ maxLength: 8 }),
);
const leaf = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(PLANTED), fc.constant('2026-13-45T99:99:99Z'), fc.constant(-1));
const providerJson = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(field, tie('node'), { maxKeys: 5 })),
})).node;

interface FakeResponse {
  status: number;
  body: string;
  contentType: string;
  retryAfter: string | undefined;
}

const fakeResponse: fc.Arbitrary<FakeResponse> = fc.record({
  status: fc.constantFrom(200, 200, 200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 503),
  body: fc.oneof(
    providerJson.map((value) => JSON.stringify(value)),
    fc.record({ object: fc.constant('list'), data: fc.array(fc.dictionary(field, leaf, { maxKeys: 6 }), { maxLength: 3 }), has_more: fc.boolean() }).map((value) => JSON.stringify(value)),
    fc.constantFrom('', '{', 'null', '[]', '<html>oops</html>', `{"error":{"message":"bad key ${PLANTED}"}}`, 'data: {"x":1}\n\n'),
    fc.string({ maxLength: 60 }),
  ),
  contentType: fc.constantFrom('application/json', 'text/plain', 'text/html', 'application/json; charset=utf-8', ''),
  retryAfter: fc.option(fc.constantFrom('0', '1', '-5', 'soon', '99999999', 'Wed, 21 Oct 2015 07:28:00 GMT'), { nil: undefined }),
});

function replaying(responses: FakeResponse[]): typeof globalThis.fetch {
  let index = 0;
  return async () => {
    const response = responses[index % responses.length] ?? { status: 500, body: '', contentType: '', retryAfter: undefined };
    index += 1;
    const headers: Record<string, string> = {};
    if (response.contentType !== '') headers['content-type'] = response.contentType;
    if (response.retryAfter !== undefined) headers['retry-after'] = response.retryAfter;
    return new Response(response.status === 204 ? null : response.body, { status: response.status, headers });
  };
}

/** Every adapter method on answers made up by fast-check: a result, or a typed, value-free provider error. */
export async function fuzzProviderResponses(): Promise<void> {
  let clock = Date.parse('2026-06-01T00:00:00Z');
  const transport = (fetch: typeof globalThis.fetch) => ({ fetch, sleep: async () => undefined, now: () => (clock += 1_000), retry: { maxAttempts: 2, timeoutMs: 1_000, maxTotalMs: 5_000, baseDelayMs: 1, maxDelayMs: 1 } });
  const makers: Record<string, (fetch: typeof globalThis.fetch) => ProviderV1> = {
    openai: (fetch) => createOpenAIProvider({ adminKey: new SecretValue('sk-admin-fuzz0000000000000000'), baseUrl: 'https://openai.invalid/v1', maxMintAttempts: 1, environment: {}, ...transport(fetch) }),
    anthropic: (fetch) => createAnthropicProvider({ adminKey: new SecretValue('sk-ant-admin01-fuzz000000000000'), baseUrl: 'https://anthropic.invalid', activationTimeoutMs: 2_000, environment: {}, ...transport(fetch) }),
    openrouter: (fetch) => createOpenRouterProvider({ managementKey: new SecretValue('sk-or-v1-fuzz0000000000000000'), baseUrl: 'https://openrouter.invalid/api/v1', maxMintAttempts: 1, environment: {}, ...transport(fetch) }),
    'azure-openai': (fetch) =>
      createAzureOpenAIProvider({ armToken: new SecretValue('eyJfuzz'), subscriptionId: 'sub', resourceGroup: 'rg', accountName: 'acct', armBaseUrl: 'https://arm.invalid', endpoint: 'https://acct.openai.invalid', environment: {}, ...transport(fetch) }),
  };
  const credential = { name: NAME, scope: { project: 'proj_fuzz' }, allowedModels: ['gpt-4o-mini'] };
  const calls: Record<string, (provider: ProviderV1) => Promise<unknown> | undefined> = {
    mint: (provider) => provider.mint({ credential, rotationId: 'rot_fuzz', suppliedValue: new SecretValue(PLANTED), replacing: { providerKeyId: 'key1', providerData: { slot: 'key1' } } }),
    test: (provider) => provider.test({ credential, value: new SecretValue(PLANTED) }),
    revoke: (provider) => provider.revoke({ credential, providerKeyId: 'key_fuzz', providerData: { serviceAccountId: 'svc_fuzz', slot: 'key1' } }),
    usage: (provider) => provider.usage?.({ credential, providerKeyId: 'key_fuzz', providerData: {}, since: new Date(clock - 3_600_000) }),
    listKeys: (provider) => provider.listKeys?.({ credential }),
    findMinted: (provider) => provider.findMinted?.({ credential, rotationId: 'rot_fuzz' }),
  };
  await fuzz(
    'provider responses (OpenAI, Anthropic, OpenRouter, Azure adapters)',
    fc.tuple(fc.constantFrom(...Object.keys(makers)), fc.constantFrom(...Object.keys(calls)), fc.array(fakeResponse, { minLength: 1, maxLength: 4 })),
    ([vendor, method, responses]) =>
      outcomeOf(
        async () => {
          const result = await calls[method]?.(makers[vendor]?.(replaying(responses)) as ProviderV1);
          if (method === 'mint') expect((result as { value: unknown }).value).toBeInstanceOf(SecretValue);
          expect(JSON.stringify(result ?? null)).not.toContain(PLANTED);
        },
        { secrets: [PLANTED] },
      ),
    { runs: 300 },
  );
}

/** The SDK reading answers of a key endpoint: keys, or a `KeySourceError` saying why. */
export async function fuzzSdkEndpointAnswers(): Promise<void> {
  const key = fc.record({ version: fc.oneof(fc.integer({ min: -2, max: 5 }), leaf), stage: fc.oneof(fc.constantFrom('current', 'previous', 'pending'), leaf), value: fc.oneof(fc.constant(PLANTED), leaf) }, { requiredKeys: [] });
  const goodKey = fc.record({ version: fc.integer({ min: 1, max: 9 }), stage: fc.constantFrom('current', 'previous'), value: fc.constant(PLANTED) });
  const answer = fc.oneof(
    fc.record({ credential: fc.constant(NAME), generation: fc.nat(), keys: fc.array(goodKey, { minLength: 1, maxLength: 2 }) }).map((value) => JSON.stringify(value)),
    fc.record({ credential: fc.oneof(fc.constant(NAME), leaf), generation: fc.oneof(fc.nat(), leaf), keys: fc.oneof(fc.array(key, { maxLength: 3 }), leaf) }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
    providerJson.map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 40 }),
  );
  await fuzz(
    'key endpoint answers read by the SDK',
    fc.array(fc.record({ status: fc.constantFrom(200, 200, 304, 401, 403, 404, 500), body: answer, contentType: fc.constantFrom('application/json', 'text/plain'), retryAfter: fc.constant(undefined) }), { minLength: 1, maxLength: 2 }),
    async (responses) => {
      const fetch = replaying(responses);
      const source = createKeySource({ credential: NAME, from: { url: 'https://rekey.invalid', token: 'rk_read_fuzz_token', checkInIntervalMilliseconds: 0 }, fetch });
      try {
        return await outcomeOf(
          async () => {
            const current = await source.current();
            expect(current.value).toBeInstanceOf(SecretValue);
          },
          { types: [KeySourceError], secrets: ['rk_read_fuzz_token'] },
        );
      } finally {
        await source.close();
      }
    },
    { runs: 200 },
  );
}

const checkInBody = fc.oneof(
  fc
    .record(
      {
        credential: fc.oneof(fc.constant(NAME), fc.constant('openai/other/prod'), leaf),
        instance: fc.oneof(fc.constantFrom('pod-1', 'a b', '', '../x', 'x'.repeat(101)), leaf),
        versions: fc.oneof(fc.array(fc.record({ version: fc.oneof(fc.integer({ min: -1, max: 3 }), leaf), requests: fc.oneof(fc.integer({ min: -1, max: 2e9 }), leaf), lastUsedAt: fc.oneof(fc.integer(), leaf) }, { requiredKeys: [] }), { maxLength: 12 }), leaf),
        extra: leaf,
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  providerJson.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', '{', '{"credential":"openai/fuzz/prod","versions":[{"version":1,"requests":1}]}', '{"__proto__":{"polluted":1},"credential":"openai/fuzz/prod","versions":[{"version":1,"requests":1}]}'),
);

/** `rekey serve` request bodies, queries and headers: never a 5xx, a JSON error naming what is wrong, and a refused check-in records nothing. */
export async function fuzzServeRequests(): Promise<void> {
  const fixture = await createKeyFixture();
  try {
    await fixture.addCredential(NAME, STORED);
    await fixture.addCredential('openai/other/prod', `sk-proj-${'c'.repeat(40)}`);
    const keySets = createKeySets({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 3_600_000 });
    const app = createServerApp({ keySets, verifier: createTokenVerifier({ tokens: fixture.store, kind: 'read', cacheMilliseconds: 60_000 }), usage: fixture.store, now: () => new Date(), ready: async () => undefined });
    const token = (await issueAccessToken(fixture.store, { kind: 'read', name: 'fuzz-app', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
    const credentialId = (await fixture.store.getCredential(NAME))?.id ?? '';
    const recorded = async () => (await fixture.store.listConsumerUsage(credentialId, 1, new Date(0))).reduce((sum, row) => sum + row.requests + 1, 0);
    const request = fc.oneof(
      fc.record({ kind: fc.constant('check-in' as const), body: checkInBody, contentType: fc.constantFrom('application/json', 'text/plain', '') }),
      fc.record({ kind: fc.constant('keys' as const), wait: fc.oneof(fc.constantFrom('0', '1', '-1', '25', '1e9', 'NaN', ''), fc.string({ maxLength: 6 })), etag: fc.oneof(fc.constantFrom('"g1"', '*', 'W/"x"', ''), fc.string({ maxLength: 20 })), name: fc.oneof(fc.constant(NAME), fc.string({ maxLength: 30 })) }),
    );
    await fuzz(
      'rekey serve requests (check-in bodies, key route query and headers)',
      request,
      async (input) => {
        const before = await recorded();
        const response =
          input.kind === 'check-in'
            ? await app.request('/v1/check-ins', { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(input.contentType === '' ? {} : { 'content-type': input.contentType }) }, body: input.body })
            : await app.request(`/v1/credentials/${encodeURIComponent(input.name)}/keys?wait=${encodeURIComponent(input.wait)}`, { headers: { authorization: `Bearer ${token}`, 'if-none-match': input.etag } });
        expect(response.status, `${input.kind} answered ${response.status}`).toBeLessThan(500);
        const text = await response.text();
        if (response.status < 400) return 'accepted';
        expect(text).not.toContain(STORED);
        // A path no route matches gets the router's plain "404 Not Found"; every route answers JSON.
        const message = (response.headers.get('content-type') ?? '').includes('json') ? ((JSON.parse(text) as { error?: { message?: string } }).error?.message ?? '') : text;
        expect(message.length, 'the error says what is wrong').toBeGreaterThan(8);
        if (input.kind === 'check-in') expect(await recorded(), 'a refused check-in recorded usage').toBe(before);
        return 'refused';
      },
      { runs: 200, caseMilliseconds: 3_000 },
    );
    keySets.close();
  } finally {
    await fixture.close();
  }
}

/** `rekey proxy` request bodies, and the upstream answers it meters: a response every time, a refusal never reaches upstream. */
export async function fuzzProxyRequests(): Promise<void> {
  const fixture = await createKeyFixture();
  try {
    await fixture.addCredential(NAME, STORED, { allowedModels: ['gpt-4o-mini'] });
    const keySets = createKeySets({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 3_600_000 });
    const meter = createProxyMeter({ usage: fixture.store, flushIntervalMilliseconds: 3_600_000 });
    const token = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'fuzz-chat', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
    let upstreamCalls = 0;
    let upstream: FakeResponse[] = [];
    const handler = createProxyHandler({
      keySets,
      verifier: createTokenVerifier({ tokens: fixture.store, kind: 'proxy', cacheMilliseconds: 60_000 }),
      meter,
      upstreams: { openai: 'https://openai.invalid/v1', anthropic: 'https://anthropic.invalid' },
      fetch: (async (...args: Parameters<typeof globalThis.fetch>) => {
        upstreamCalls += 1;
        return replaying(upstream)(...args);
      }) as typeof globalThis.fetch,
    });
    const body = fc.oneof(
      fc.record({ model: fc.oneof(fc.constantFrom('gpt-4o-mini', 'gpt-4o', ''), leaf), stream: fc.oneof(fc.boolean(), leaf), messages: providerJson }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 60 }),
      fc.constantFrom('', '{', '{"model":{"toString":"x"}}'),
    );
    const usageAnswer = fc.oneof(
      fc.record({ status: fc.constant(200), body: fc.record({ usage: fc.record({ prompt_tokens: fc.oneof(fc.nat(), leaf), completion_tokens: fc.oneof(fc.nat(), leaf) }, { requiredKeys: [] }) }).map((value) => JSON.stringify(value)), contentType: fc.constant('application/json'), retryAfter: fc.constant(undefined) }),
      fc.record({ status: fc.constant(200), body: fc.array(providerJson.map((value) => `data: ${JSON.stringify(value)}\n\n`), { maxLength: 4 }).map((events) => events.join('') + 'data: [DONE]\n\n'), contentType: fc.constant('text/event-stream'), retryAfter: fc.constant(undefined) }),
      fakeResponse,
    );
    await fuzz(
      'rekey proxy requests and the upstream answers it meters',
      fc.record({ path: fc.constantFrom('/v1/chat/completions', '/v1/embeddings', '/anthropic/v1/messages', '/v1/../admin', '/nothing'), body, contentType: fc.constantFrom('application/json', 'text/plain'), upstream: fc.array(usageAnswer, { minLength: 1, maxLength: 2 }) }),
      async (input) => {
        upstream = input.upstream;
        const callsBefore = upstreamCalls;
        const response = await handler(new Request(`http://127.0.0.1${input.path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-api-key': token, 'content-type': input.contentType }, body: input.body }));
        // Upstream answers pass through as they came (the fake may echo anything); refusals are the proxy's own words.
        const text = await response.text();
        if (response.headers.get('x-rekey-proxy') !== 'error') return 'accepted';
        expect(text).not.toContain(STORED);
        expect(upstreamCalls, 'a refused request reached upstream').toBe(callsBefore);
        expect(text.length).toBeGreaterThan(10);
        return 'refused';
      },
      { runs: 200, caseMilliseconds: 3_000 },
    );
    await meter.close();
    keySets.close();
  } finally {
    await fixture.close();
  }
}
