import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import type { RunningEmulator } from '../../src/emulator/emulator.js';
import { createOpenAIAdminKeyRotator } from '../../src/providers/openai/openai-admin-key-rotator.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import type { OpenAIProviderOptions } from '../../src/providers/openai/openai-provider.js';
import { waitUntilLive } from '../../src/providers/provider-liveness.js';
import { CONTRACT_RETRY } from './provider-test-support.js';

const FAULTS = { activationDelayMs: 300, revocationDelayMs: 300, rate429: 0.1, retryAfterSeconds: 1, rate5xx: 0.08, latencyMs: 2 };

describe('openai adapter specifics (emulator, faults on)', () => {
  let emulator: RunningEmulator;
  let base: OpenAIProviderOptions;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 21, knobs: FAULTS });
    base = { adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl, retry: CONTRACT_RETRY, environment: {} };
  });
  afterAll(async () => {
    await emulator.close();
  });

  async function chat(key: SecretValue): Promise<boolean> {
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const response = await fetch(`${emulator.openaiBaseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.reveal()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await response.arrayBuffer();
      if (response.ok) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  it('reads settings from the argument, then OPENAI_ADMIN_KEY, else names both', () => {
    expect(() => createOpenAIProvider({ environment: {} })).toThrow(ConfigError);
    expect(() => createOpenAIProvider({ environment: {} })).toThrow(/`adminKey` option or set the OPENAI_ADMIN_KEY/);
    expect(createOpenAIProvider({ environment: { OPENAI_ADMIN_KEY: 'sk-admin-from-env-value' } }).kind).toBe('openai');
    expect(() => createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: 'https://user:pw@api.example/v1', environment: {} })).toThrow(/credentials/);
  });

  it('counts requests per key and reads last_used_at, and tells a key of another project apart', async () => {
    const provider = createOpenAIProvider(base);
    const project = await emulator.seedOpenAIProject('usage');
    const other = await emulator.seedOpenAIProject('other');
    const credential = { name: 'openai/usage/prod', scope: { project: project.projectId }, allowedModels: [] };
    const since = new Date(Date.now() - 5 * 60_000);
    const minted = await provider.mint({ credential, rotationId: 'usage-1' });
    expect((await waitUntilLive({ provider, request: { credential, value: minted.value }, timeoutMs: 20_000 })).reached).toBe(true);
    const quiet = await provider.usage?.({ credential, providerKeyId: minted.providerKeyId ?? '', providerData: minted.providerData, since });
    // The liveness check used the key (last_used_at), but made no completion request.
    expect(quiet).toMatchObject({ requests: 0, resolutionSeconds: 60 });

    for (let call = 0; call < 3; call += 1) expect(await chat(minted.value)).toBe(true);
    const until = new Date(Date.now() + 1000);
    const busy = await provider.usage?.({ credential, providerKeyId: minted.providerKeyId ?? '', providerData: minted.providerData, since, until });
    expect(busy?.requests).toBe(3);
    expect(busy?.lastUsedAt).toBeInstanceOf(Date);
    expect(busy?.lastUsedAt?.getTime()).toBeGreaterThanOrEqual(quiet?.lastUsedAt?.getTime() ?? 0);

    const probed = await provider.test({ credential, value: minted.value, models: ['gpt-4o-mini', 'no-such-model'] });
    expect(probed.models).toEqual([
      { model: 'gpt-4o-mini', ok: true, status: 200 },
      { model: 'no-such-model', ok: false, status: 404 },
    ]);
    const foreign = await provider.test({ credential, value: other.key });
    expect(foreign).toMatchObject({ liveness: 'live', scopeMatches: false });
    const listed = await provider.listKeys?.({ credential });
    expect(listed?.map((key) => key.providerKeyId)).toContain(minted.providerKeyId);
    expect(listed?.find((key) => key.providerKeyId === minted.providerKeyId)?.providerData['serviceAccountId']).toBe(minted.providerData['serviceAccountId']);
  });

  it('revokes a key a person created, from its key id alone, idempotently', async () => {
    const provider = createOpenAIProvider(base);
    const project = await emulator.seedOpenAIProject('people');
    const userKey = emulator.createOpenAIUserKey(project.projectId, 'made in the dashboard');
    const credential = { name: 'openai/people/prod', scope: { project: project.projectId }, allowedModels: [] };
    expect(await provider.revoke({ credential, providerKeyId: userKey.keyId, providerData: {} })).toEqual({ alreadyGone: false });
    expect(await provider.revoke({ credential, providerKeyId: userKey.keyId, providerData: {} })).toEqual({ alreadyGone: true });
    // A service-account key named by key id only: its account is found and deleted.
    expect(await provider.revoke({ credential, providerKeyId: project.keyId, providerData: {} })).toEqual({ alreadyGone: false });
    await new Promise((resolve) => setTimeout(resolve, FAULTS.revocationDelayMs + 100));
    expect(emulator.isKeyLive(userKey.key.reveal())).toBe(false);
    expect(emulator.isKeyLive(project.key.reveal())).toBe(false);
  });

  it('rotates the admin key: new key saved and working before the old one is deleted and refused', async () => {
    const adminKey = emulator.adminKeys.openai;
    const activeAdminKeys = () => emulator.listAllKeys().filter((key) => key.provider === 'openai' && key.kind === 'admin' && key.status === 'active');
    const before = activeAdminKeys().length;
    const saved: string[] = [];

    const failing = createOpenAIAdminKeyRotator({ ...base, adminKey, activationTimeoutMs: 20_000, revocationTimeoutMs: 20_000 });
    await expect(failing.rotate({ name: 'rekey-admin-fails', persist: async () => Promise.reject(new Error('vault is down')) })).rejects.toThrow('vault is down');
    expect(activeAdminKeys()).toHaveLength(before);
    expect(emulator.isKeyLive(adminKey.reveal())).toBe(true);

    const rotator = createOpenAIAdminKeyRotator({ ...base, adminKey, activationTimeoutMs: 20_000, revocationTimeoutMs: 20_000 });
    const result = await rotator.rotate({
      name: 'rekey-admin-next',
      persist: async (newKey) => {
        expect(emulator.isKeyLive(newKey.reveal())).toBe(true);
        expect(emulator.isKeyLive(adminKey.reveal())).toBe(true);
        saved.push(newKey.reveal());
      },
    });
    expect(saved).toEqual([result.newKey.reveal()]);
    expect(result).toMatchObject({ oldKeyDeleted: true, oldKeyConfirmedDead: true });
    expect(emulator.isKeyLive(adminKey.reveal())).toBe(false);
    expect(activeAdminKeys().map((key) => key.id)).toEqual([result.newKeyId]);
  });
});
