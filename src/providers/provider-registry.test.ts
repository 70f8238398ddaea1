import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import { PROVIDER_KINDS } from '../core/types.js';
import { createProvider, providerFactories } from './provider-registry.js';
import { PROVIDER_SPEC_VERSION } from './provider-spec.js';

describe('provider registry', () => {
  it('has a factory for every provider kind, and each builds an adapter of that kind', async () => {
    expect(Object.keys(providerFactories).sort()).toEqual([...PROVIDER_KINDS].sort());
    const built = await Promise.all([
      createProvider('openai', { adminKey: new SecretValue('sk-admin-test-value'), environment: {} }),
      createProvider('anthropic', { adminKey: null, environment: {} }),
      createProvider('openrouter', { managementKey: new SecretValue('sk-or-v1-test-value'), environment: {} }),
      createProvider('azure-openai', { armToken: new SecretValue('token-value'), subscriptionId: 's', resourceGroup: 'g', accountName: 'a', environment: {} }),
      createProvider('manual', {}),
    ]);
    expect(built.map((provider) => provider.kind)).toEqual(['openai', 'anthropic', 'openrouter', 'azure-openai', 'manual']);
    for (const provider of built) expect(provider.specificationVersion).toBe(PROVIDER_SPEC_VERSION);
  });

  it('reports a missing setting with the option and the environment variable', async () => {
    await expect(createProvider('openrouter', { environment: {} })).rejects.toThrow(ConfigError);
    await expect(createProvider('openrouter', { environment: {} })).rejects.toThrow(/managementKey.*OPENROUTER_MANAGEMENT_KEY/);
    await expect(createProvider('anthropic', { environment: {} })).rejects.toThrow(/adminKey.*ANTHROPIC_ADMIN_KEY/);
    await expect(createProvider('azure-openai', { environment: {} })).rejects.toThrow(/armToken.*AZURE_MANAGEMENT_TOKEN/);
  });
});
