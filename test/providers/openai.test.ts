import { SecretValue } from '../../src/core/secret-value.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import type { OpenAIProviderOptions } from '../../src/providers/openai/openai-provider.js';
import { describeProviderContract } from '../contracts/provider.js';
import { CONTRACT_FAULTS, CONTRACT_RETRY, KEY_ALPHABET, echoingFetch, fetchJsonPatiently, lossyFetch, randomToken } from './provider-test-support.js';

describeProviderContract('openai (emulator, faults on)', async () => {
  const emulator = await startEmulator({ port: 0, seed: 11, knobs: CONTRACT_FAULTS });
  const seeded = await emulator.seedOpenAIProject('contract');
  const base: OpenAIProviderOptions = { fetch: echoingFetch(), adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl, retry: CONTRACT_RETRY, environment: {} };
  const isServiceAccountCreate = (url: URL, init: RequestInit | undefined) => init?.method === 'POST' && url.pathname.endsWith('/service_accounts');
  return {
    provider: createOpenAIProvider(base),
    credential: { name: 'openai/contract/test', scope: { project: seeded.projectId }, allowedModels: ['gpt-4o-mini', 'text-embedding-3-small'] },
    isKeyLive: (value) => emulator.isKeyLive(value.reveal()),
    unknownKeyValue: new SecretValue(`sk-svcacct-${randomToken(KEY_ALPHABET, 74)}T3BlbkFJ${randomToken(KEY_ALPHABET, 74)}`),
    async countMinted(rotationId) {
      const body = (await fetchJsonPatiently(`${emulator.openaiBaseUrl}/organization/projects/${seeded.projectId}/service_accounts?limit=100`, {
        authorization: `Bearer ${emulator.adminKeys.openai.reveal()}`,
      })) as { data: Array<{ name: string }> };
      return body.data.filter((account) => account.name === `rekey-${rotationId}`).length;
    },
    withLostMintResponse: (mode) => createOpenAIProvider({ ...base, fetch: lossyFetch(isServiceAccountCreate, mode), retry: { ...CONTRACT_RETRY, maxAttempts: mode === 'crash' ? 2 : 10 } }),
    withWrongCredentials() {
      const planted = new SecretValue(`sk-admin-${randomToken(KEY_ALPHABET, 58)}T3BlbkFJ${randomToken(KEY_ALPHABET, 58)}`);
      return { provider: createOpenAIProvider({ ...base, adminKey: planted, fetch: echoingFetch(planted.reveal()) }), planted };
    },
    withFetch: (fetch) => createOpenAIProvider({ ...base, fetch, retry: { ...CONTRACT_RETRY, maxAttempts: 2 } }),
    scopeCheckable: true,
    knownSecrets: [emulator.adminKeys.openai, seeded.key],
    activationBoundMs: 20_000,
    revocationBoundMs: 20_000,
    close: () => emulator.close(),
  };
});
