import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import { createManualProvider } from '../../src/providers/manual/manual-provider.js';
import { NEEDS_HUMAN_REVOKE, NEEDS_HUMAN_VALUE } from '../../src/providers/provider-human.js';
import { describeProviderContract } from '../contracts/provider.js';
import { CONTRACT_FAULTS, CONTRACT_RETRY, KEY_ALPHABET, echoingFetch, fetchJsonPatiently, randomToken } from './provider-test-support.js';

// "Any key": here an OpenAI-compatible service whose keys a person creates and deletes by hand.
describeProviderContract('manual (liveness via a configured HTTP check, emulator, faults on)', async () => {
  const emulator = await startEmulator({ port: 0, seed: 15, knobs: CONTRACT_FAULTS });
  const seeded = await emulator.seedOpenAIProject('manual-keys');
  const handed = new Map<string, string>();
  let count = 0;
  return {
    provider: createManualProvider({
      check: { url: `${emulator.openaiBaseUrl}/models`, headerName: 'Authorization', headerTemplate: 'Bearer {key}' },
      activationTimeoutMs: 20_000,
      retry: CONTRACT_RETRY,
      fetch: echoingFetch(),
    }),
    credential: { name: 'manual/contract/test', scope: {}, allowedModels: [] },
    isKeyLive: (value) => emulator.isKeyLive(value.reveal()),
    unknownKeyValue: new SecretValue(`sk-proj-${randomToken(KEY_ALPHABET, 74)}T3BlbkFJ${randomToken(KEY_ALPHABET, 74)}`),
    async supplyValue() {
      const created = emulator.createOpenAIUserKey(seeded.projectId, `pasted-${(count += 1)}`);
      handed.set(created.key.reveal(), created.keyId);
      return created.key;
    },
    async revokeByHand(minted) {
      const keyId = handed.get(minted.value.reveal());
      if (!keyId) throw new Error('the suite revoked a key it never supplied');
      await fetchJsonPatiently(`${emulator.openaiBaseUrl}/organization/projects/${seeded.projectId}/api_keys/${keyId}`, { authorization: `Bearer ${emulator.adminKeys.openai.reveal()}` }, 'DELETE');
    },
    withFetch: (fetch) => createManualProvider({ check: { url: `${emulator.openaiBaseUrl}/models` }, fetch, retry: { ...CONTRACT_RETRY, maxAttempts: 2 } }),
    scopeCheckable: false,
    knownSecrets: [emulator.adminKeys.openai, seeded.key],
    activationBoundMs: 20_000,
    revocationBoundMs: 20_000,
    close: () => emulator.close(),
  };
});

describe('manual adapter specifics', () => {
  it('needs a person for mint and revoke, and keeps keys out of the URL and body', async () => {
    const provider = createManualProvider({ check: { url: 'http://127.0.0.1:9/check' } });
    const credential = { name: 'manual/a/b', scope: {}, allowedModels: [] };
    expect(provider.capabilities).toEqual({ mint: 'human', revoke: 'human', usage: false, listKeys: false });
    await expect(provider.mint({ credential, rotationId: 'r' })).rejects.toMatchObject({ providerCode: NEEDS_HUMAN_VALUE });
    await expect(provider.revoke({ credential, providerKeyId: null, providerData: {} })).rejects.toMatchObject({ providerCode: NEEDS_HUMAN_REVOKE });
    expect(() => createManualProvider({ check: { url: 'https://example.test/check?key={key}' } })).toThrow(/header/);
    expect(() => createManualProvider({ check: { url: 'https://example.test/check', headerTemplate: 'Bearer' } })).toThrow(/\{key\}/);
    expect(() => createManualProvider({ check: { url: 'https://example.test/check', body: { key: '{key}' } } })).toThrow(/body/);
  });

  it('uses the configured method, header template and statuses', async () => {
    const seen: Array<{ url: string; method: string | undefined; header: string | null }> = [];
    const provider = createManualProvider({
      check: { url: 'https://vendor.test/v1/whoami', method: 'POST', headerName: 'X-Api-Key', headerTemplate: 'Key {key}', successStatuses: [200, 204], deadStatuses: [401, 403, 410] },
      fetch: async (input, init) => {
        const header = new Headers(init?.headers).get('x-api-key');
        seen.push({ url: String(input), method: init?.method, header });
        return new Response(null, { status: header === 'Key good-key-123' ? 204 : 410 });
      },
    });
    const credential = { name: 'manual/a/b', scope: {}, allowedModels: [] };
    expect((await provider.test({ credential, value: new SecretValue('good-key-123') })).liveness).toBe('live');
    expect((await provider.test({ credential, value: new SecretValue('gone-key-456') })).liveness).toBe('dead');
    expect(seen.map((call) => [call.url, call.method])).toEqual([
      ['https://vendor.test/v1/whoami', 'POST'],
      ['https://vendor.test/v1/whoami', 'POST'],
    ]);
    expect((await createManualProvider({}).test({ credential, value: new SecretValue('any-value-789') })).liveness).toBe('unknown');

    // A credential can carry its own check in its scope (rekey.yaml), which wins.
    const fromScope = { name: 'manual/a/c', scope: { checkUrl: 'https://vendor.test/v1/whoami', checkMethod: 'post', checkHeader: 'X-Api-Key', checkTemplate: 'Key {key}', checkSuccess: '204', checkDead: '410' }, allowedModels: [] };
    expect((await provider.test({ credential: fromScope, value: new SecretValue('good-key-123') })).liveness).toBe('live');
    const refusing = createManualProvider({ fetch: async () => new Response(null, { status: 410 }) });
    expect((await refusing.test({ credential: fromScope, value: new SecretValue('gone-key-456') })).liveness).toBe('dead');
    await expect(refusing.test({ credential: { ...fromScope, scope: { checkUrl: 'https://vendor.test/?k={key}' } }, value: new SecretValue('x-value-1') })).rejects.toThrow(/header/);
  });
});
