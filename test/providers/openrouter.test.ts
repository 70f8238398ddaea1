import { SecretValue } from '../../src/core/secret-value.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import { createOpenRouterProvider } from '../../src/providers/openrouter/openrouter-provider.js';
import type { OpenRouterProviderOptions } from '../../src/providers/openrouter/openrouter-provider.js';
import { describeProviderContract } from '../contracts/provider.js';
import { CONTRACT_FAULTS, CONTRACT_RETRY, echoingFetch, fetchJsonPatiently, lossyFetch, randomToken } from './provider-test-support.js';

describeProviderContract('openrouter (emulator, faults on)', async () => {
  const emulator = await startEmulator({ port: 0, seed: 14, knobs: CONTRACT_FAULTS });
  const base: OpenRouterProviderOptions = { fetch: echoingFetch(), managementKey: emulator.adminKeys.openrouter, baseUrl: emulator.openrouterBaseUrl, retry: CONTRACT_RETRY, environment: {} };
  const isKeyCreate = (url: URL, init: RequestInit | undefined) => init?.method === 'POST' && url.pathname.endsWith('/keys');
  return {
    provider: createOpenRouterProvider(base),
    credential: { name: 'openrouter/contract/test', scope: {}, allowedModels: ['anthropic/claude-sonnet-4'] },
    isKeyLive: (value) => emulator.isKeyLive(value.reveal()),
    unknownKeyValue: new SecretValue(`sk-or-v1-${randomToken('0123456789abcdef', 64)}`),
    async countMinted(rotationId) {
      const body = (await fetchJsonPatiently(`${emulator.openrouterBaseUrl}/keys?include_disabled=true`, {
        authorization: `Bearer ${emulator.adminKeys.openrouter.reveal()}`,
      })) as { data: Array<{ name: string }> };
      return body.data.filter((key) => key.name === `rekey-${rotationId}`).length;
    },
    withLostMintResponse: (mode) => createOpenRouterProvider({ ...base, fetch: lossyFetch(isKeyCreate, mode), retry: { ...CONTRACT_RETRY, maxAttempts: mode === 'crash' ? 2 : 10 } }),
    withWrongCredentials() {
      const planted = new SecretValue(`sk-or-v1-${randomToken('0123456789abcdef', 64)}`);
      return { provider: createOpenRouterProvider({ ...base, managementKey: planted, fetch: echoingFetch(planted.reveal()) }), planted };
    },
    withFetch: (fetch) => createOpenRouterProvider({ ...base, fetch, retry: { ...CONTRACT_RETRY, maxAttempts: 2 } }),
    scopeCheckable: true,
    knownSecrets: [emulator.adminKeys.openrouter],
    activationBoundMs: 20_000,
    revocationBoundMs: 20_000,
    close: () => emulator.close(),
  };
});
