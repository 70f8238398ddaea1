import { describe, expect, it } from 'vitest';
import { SecretValue } from '../core/secret-value.js';
import { identifyProviderKey } from './provider-identify.js';
import type { ProviderKeyInfo } from './provider-spec.js';

const credential = { name: 'openai/a/prod', scope: { project: 'proj_1' }, allowedModels: [] };

function key(providerKeyId: string, redactedValue: string | null): ProviderKeyInfo {
  return { providerKeyId, name: null, redactedValue, createdAt: null, lastUsedAt: null, status: 'active', providerData: { projectId: 'proj_1' } };
}

describe('identifyProviderKey', () => {
  const value = new SecretValue('sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ');

  it('returns the one key whose redacted form fits the value', async () => {
    const provider = { listKeys: async () => [key('key_other', 'sk-proj-abc...0000'), key('key_mine', 'sk-proj-abc...WXYZ')] };
    expect((await identifyProviderKey(provider, { credential, value }))?.providerKeyId).toBe('key_mine');
  });

  it('refuses to guess between two keys that both fit', async () => {
    const provider = { listKeys: async () => [key('key_a', 'sk-proj-abc...WXYZ'), key('key_b', 'sk-...WXYZ')] };
    expect(await identifyProviderKey(provider, { credential, value })).toBeUndefined();
  });

  it('finds nothing when no redacted form fits, none is readable, or keys cannot be listed', async () => {
    expect(await identifyProviderKey({ listKeys: async () => [key('key_a', 'sk-proj-zzz...WXYZ')] }, { credential, value })).toBeUndefined();
    expect(await identifyProviderKey({ listKeys: async () => [key('key_a', null), key('key_b', 'opaque')] }, { credential, value })).toBeUndefined();
    expect(await identifyProviderKey({}, { credential, value })).toBeUndefined();
  });
});
