import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createAzureOpenAIProvider } from '../../src/providers/azure-openai/azure-openai-provider.js';
import type { AzureOpenAIProviderOptions } from '../../src/providers/azure-openai/azure-openai-provider.js';
import type { MintRequest } from '../../src/providers/provider-spec.js';
import { describeProviderContract } from '../contracts/provider.js';
import { startAzureArmFake } from '../fakes/azure-arm-fake.js';
import type { AzureArmFake } from '../fakes/azure-arm-fake.js';
import { CONTRACT_RETRY, echoingFetch, lossyFetch, randomToken } from './provider-test-support.js';

const FAULTS = { rate429: 0.12, retryAfterSeconds: 1, rate5xx: 0.1, latencyMs: 5 };

function optionsFor(fake: AzureArmFake): AzureOpenAIProviderOptions {
  return {
    armToken: new SecretValue(fake.token),
    subscriptionId: fake.subscriptionId,
    resourceGroup: fake.resourceGroup,
    accountName: fake.accountName,
    endpoint: fake.url,
    armBaseUrl: fake.url,
    retry: CONTRACT_RETRY,
    fetch: echoingFetch(),
    environment: {},
  };
}

describeProviderContract('azure-openai (ARM contract fake, faults on)', async () => {
  const fake = await startAzureArmFake({ knobs: FAULTS, deployments: ['gpt-4o-mini'] });
  const inUse = fake.keys().key1;
  const adapter = createAzureOpenAIProvider(optionsFor(fake));
  // As the rotation engine does: each mint names the version it replaces, here the key in
  // slot key1 imported by value (no slot recorded, so scope.slotInUse says which).
  const replacingImported = { providerKeyId: null, providerData: {} };
  return {
    provider: { ...adapter, mint: (request) => adapter.mint({ ...request, replacing: replacingImported }) },
    credential: { name: 'azure-openai/contract/test', scope: { slotInUse: 'key1' }, allowedModels: ['gpt-4o-mini'] },
    isKeyLive: (value) => fake.isKeyLive(value.reveal()),
    unknownKeyValue: new SecretValue(randomToken('0123456789abcdef', 32)),
    withWrongCredentials() {
      const planted = new SecretValue(`eyPlanted.${randomToken('0123456789abcdef', 40)}`);
      return { provider: createAzureOpenAIProvider({ ...optionsFor(fake), armToken: planted, fetch: echoingFetch(planted.reveal()) }), planted };
    },
    skips: { mintOnce: 'two fixed slots: a retried regenerate replaces the same free slot and cannot add a key (checked below: the slot in use survives a lost answer)' },
    withFetch: (fetch) => createAzureOpenAIProvider({ ...optionsFor(fake), fetch, retry: { ...CONTRACT_RETRY, maxAttempts: 2 } }),
    scopeCheckable: true,
    knownSecrets: [new SecretValue(fake.token), new SecretValue(inUse)],
    activationBoundMs: 10_000,
    revocationBoundMs: 10_000,
    async close() {
      // The slot in use was never touched by any mint, revoke or retry of the suite.
      expect(fake.keys().key1).toBe(inUse);
      expect(fake.regenerations().key1).toBe(0);
      // Only the planted wrong token was refused: every path and api-version the adapter sent was right.
      expect(fake.rejected().filter((entry) => entry.reason !== 'missing or wrong bearer token')).toEqual([]);
      await fake.close();
    },
  };
});

describe('azure-openai adapter specifics', () => {
  let fake: AzureArmFake;
  beforeAll(async () => {
    fake = await startAzureArmFake({ knobs: FAULTS });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('refuses to mint when it cannot tell which slot is in use', async () => {
    const provider = createAzureOpenAIProvider(optionsFor(fake));
    const credential = { name: 'azure-openai/a/b', scope: { slotInUse: 'key1' }, allowedModels: [] };
    // No `replacing`: a static scope.slotInUse would be wrong after the first rotation.
    await expect(provider.mint({ credential, rotationId: 'r' })).rejects.toMatchObject({ code: 'config' });
    const imported: MintRequest = { credential: { ...credential, scope: {} }, rotationId: 'r', replacing: { providerKeyId: null, providerData: {} } };
    await expect(provider.mint(imported)).rejects.toMatchObject({ code: 'config' });
    expect(fake.regenerations()).toEqual({ key1: 0, key2: 0 });
  });

  it('takes the account from the credential scope, so one adapter serves several accounts', async () => {
    const provider = createAzureOpenAIProvider({ armToken: new SecretValue(fake.token), armBaseUrl: fake.url, retry: CONTRACT_RETRY, environment: {} });
    const scope = { subscription: fake.subscriptionId, resourceGroup: fake.resourceGroup, account: fake.accountName, endpoint: fake.url };
    const keys = await provider.listKeys?.({ credential: { name: 'azure-openai/a/b', scope, allowedModels: [] } });
    expect(keys).toHaveLength(2);
    expect((await provider.test({ credential: { name: 'azure-openai/a/b', scope, allowedModels: [] }, value: new SecretValue(fake.keys().key1) })).liveness).toBe('live');
    await expect(provider.listKeys?.({ credential: { name: 'azure-openai/a/b', scope: {}, allowedModels: [] } })).rejects.toThrow(/subscriptionId.*AZURE_SUBSCRIPTION_ID/);
  });

  it('blue/green over two rotations: each mint takes the free slot, each revoke regenerates the old one, the key in use keeps working', async () => {
    const provider = createAzureOpenAIProvider(optionsFor(fake));
    const credential = { name: 'azure-openai/a/b', scope: { slotInUse: 'key1' }, allowedModels: [] };
    const original = fake.keys().key1;
    const first = await provider.mint({ credential, rotationId: 'r1', replacing: { providerKeyId: null, providerData: {} } });
    expect(first.providerKeyId).toBe('key2');
    expect(fake.isKeyLive(original)).toBe(true);
    await provider.revoke({ credential, providerKeyId: 'key1', providerData: { slot: 'key1' } });
    expect(fake.isKeyLive(original)).toBe(false);
    expect(fake.isKeyLive(first.value.reveal())).toBe(true);

    const request: MintRequest = { credential: { ...credential, scope: {} }, rotationId: 'r2', replacing: { providerKeyId: first.providerKeyId, providerData: first.providerData } };
    const second = await provider.mint(request);
    expect(second.providerKeyId).toBe('key1');
    expect(fake.isKeyLive(first.value.reveal())).toBe(true);
    expect(await provider.revoke({ credential, providerKeyId: first.providerKeyId, providerData: first.providerData })).toEqual({ alreadyGone: false });
    expect(fake.isKeyLive(first.value.reveal())).toBe(false);
    // A stale retry of the first revoke must not kill the key now in that slot's place.
    expect(await provider.revoke({ credential, providerKeyId: first.providerKeyId, providerData: first.providerData })).toEqual({ alreadyGone: true });
    expect(fake.isKeyLive(second.value.reveal())).toBe(true);
  });

  it('a lost regenerate answer is retried onto the same free slot and never touches the slot in use', async () => {
    const inUse = fake.keys().key1;
    const isRegenerate = (url: URL) => url.pathname.endsWith('/regenerateKey');
    const provider = createAzureOpenAIProvider({ ...optionsFor(fake), fetch: lossyFetch(isRegenerate, 'retry') });
    const before = fake.regenerations();
    const minted = await provider.mint({ credential: { name: 'azure-openai/a/b', scope: {}, allowedModels: [] }, rotationId: 'r3', replacing: { providerKeyId: 'key1', providerData: {} } });
    expect(minted.value.reveal()).toBe(fake.keys().key2);
    expect(fake.keys().key1).toBe(inUse);
    expect(fake.regenerations().key2 - before.key2).toBe(2);
    expect(fake.regenerations().key1).toBe(before.key1);
  });

  it('lists both slots without their values, and checks the ARM path, api-version and token', async () => {
    const provider = createAzureOpenAIProvider(optionsFor(fake));
    const keys = await provider.listKeys?.({ credential: { name: 'azure-openai/a/b', scope: {}, allowedModels: [] } });
    expect(keys?.map((key) => key.providerKeyId)).toEqual(['key1', 'key2']);
    expect(JSON.stringify(keys)).not.toContain(fake.keys().key1);
    const wrongVersion = createAzureOpenAIProvider({ ...optionsFor(fake), armApiVersion: '1999-01-01' });
    await expect(wrongVersion.listKeys?.({ credential: { name: 'azure-openai/a/b', scope: {}, allowedModels: [] } })).rejects.toMatchObject({ status: 400 });
    expect(fake.rejected().map((entry) => entry.reason)).toContain('wrong or missing api-version');
  });
});
