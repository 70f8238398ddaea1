import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import { createAnthropicProvider } from '../../src/providers/anthropic/anthropic-provider.js';
import type { AnthropicProviderOptions } from '../../src/providers/anthropic/anthropic-provider.js';
import { NEEDS_HUMAN_VALUE } from '../../src/providers/provider-human.js';
import { describeProviderContract } from '../contracts/provider.js';
import { CONTRACT_FAULTS, CONTRACT_RETRY, KEY_ALPHABET, echoingFetch, randomToken } from './provider-test-support.js';

const unknownAnthropicKey = () => new SecretValue(`sk-ant-api03-${randomToken(KEY_ALPHABET, 93)}AA`);

describeProviderContract('anthropic (emulator, faults on)', async () => {
  const emulator = await startEmulator({ port: 0, seed: 12, knobs: CONTRACT_FAULTS });
  const base: AnthropicProviderOptions = { fetch: echoingFetch(), adminKey: emulator.adminKeys.anthropic, baseUrl: emulator.anthropicBaseUrl, retry: CONTRACT_RETRY, activationTimeoutMs: 20_000, environment: {} };
  const supplied: SecretValue[] = [];
  let count = 0;
  return {
    provider: createAnthropicProvider(base),
    credential: { name: 'anthropic/contract/test', scope: {}, allowedModels: ['claude-sonnet-4-20250514'] },
    isKeyLive: (value) => emulator.isKeyLive(value.reveal()),
    unknownKeyValue: unknownAnthropicKey(),
    async supplyValue() {
      const { key } = emulator.createAnthropicKey(`made-by-a-person-${(count += 1)}`);
      supplied.push(key);
      return key;
    },
    withWrongCredentials() {
      const planted = new SecretValue(`sk-ant-admin01-${randomToken(KEY_ALPHABET, 93)}AA`);
      return { provider: createAnthropicProvider({ ...base, adminKey: planted, fetch: echoingFetch(planted.reveal()) }), planted };
    },
    withFetch: (fetch) => createAnthropicProvider({ ...base, fetch, retry: { ...CONTRACT_RETRY, maxAttempts: 2 } }),
    scopeCheckable: true,
    knownSecrets: [emulator.adminKeys.anthropic],
    activationBoundMs: 20_000,
    revocationBoundMs: 20_000,
    close: () => emulator.close(),
  };
});

describe('anthropic adapter specifics', () => {
  it('asks for a person when no value is supplied, rejects dead and foreign keys, and reads usage per key', async () => {
    const emulator = await startEmulator({ port: 0, seed: 13, knobs: { ...CONTRACT_FAULTS, activationDelayMs: 0 } });
    try {
      const provider = createAnthropicProvider({ adminKey: emulator.adminKeys.anthropic, baseUrl: emulator.anthropicBaseUrl, retry: CONTRACT_RETRY, activationTimeoutMs: 1_000, environment: {} });
      const credential = { name: 'anthropic/team/prod', scope: { workspace: 'wrkspc_team' }, allowedModels: [] };
      expect(provider.capabilities.mint).toBe('human');
      await expect(provider.mint({ credential, rotationId: 'r1' })).rejects.toMatchObject({ providerCode: NEEDS_HUMAN_VALUE });
      await expect(provider.mint({ credential, rotationId: 'r1', suppliedValue: unknownAnthropicKey() })).rejects.toMatchObject({ providerCode: 'supplied-key-not-live' });
      const elsewhere = emulator.createAnthropicKey('other workspace', 'wrkspc_other');
      await expect(provider.mint({ credential, rotationId: 'r1', suppliedValue: elsewhere.key })).rejects.toMatchObject({ providerCode: 'supplied-key-scope' });

      const good = emulator.createAnthropicKey('team key', 'wrkspc_team');
      const minted = await provider.mint({ credential, rotationId: 'r1', suppliedValue: good.key });
      expect(minted).toMatchObject({ providerKeyId: good.id, providerData: { workspaceId: 'wrkspc_team' } });

      const since = new Date(Date.now() - 60_000);
      const quiet = await provider.usage?.({ credential, providerKeyId: good.id, providerData: {}, since });
      expect(quiet?.lastUsedAt).toBeNull();
      let answered = false;
      for (let attempt = 0; attempt < 20 && !answered; attempt += 1) {
        const response = await fetch(`${emulator.anthropicBaseUrl}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': good.key.reveal(), 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'claude-sonnet-4-20250514', max_tokens: 5, messages: [{ role: 'user', content: 'hello' }] }),
        });
        await response.arrayBuffer();
        answered = response.ok;
        if (!answered) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(answered).toBe(true);
      const used = await provider.usage?.({ credential, providerKeyId: good.id, providerData: {}, since, until: new Date(Date.now() + 1000) });
      expect(used?.lastUsedAt).toBeInstanceOf(Date);
      expect(used?.resolutionSeconds).toBe(60);

      const listed = await provider.listKeys?.({ credential });
      expect(listed?.map((key) => key.providerKeyId)).toEqual([good.id]);
    } finally {
      await emulator.close();
    }
  });
});
