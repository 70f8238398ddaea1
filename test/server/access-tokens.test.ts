import { describe, expect, it } from 'vitest';
import { createMemoryAccessTokenStore, hashAccessToken, issueAccessToken, verifyAccessToken } from '../../src/server/access-tokens.js';
import { createTokenVerifier } from '../../src/server/token-verifier.js';

const input = { kind: 'proxy' as const, name: 'ticketing', credentials: ['openai/a/prod'], allowedModels: ['gpt-4o-mini'], createdBy: 'test' };

describe('access tokens', () => {
  it('issues a high-entropy token, stores only its hash, and verifies it for its kind', async () => {
    const tokens = createMemoryAccessTokenStore();
    const { token, secret } = await issueAccessToken(tokens, input, new Date());
    expect(secret).toMatch(/^rk_proxy_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const stored = await tokens.findWithHash(token.id);
    expect(stored?.hash.equals(hashAccessToken(secret))).toBe(true);
    expect(JSON.stringify(stored?.token)).not.toContain(secret.slice(-43));
    expect((await verifyAccessToken(tokens, secret, 'proxy'))?.name).toBe('ticketing');
    expect(await verifyAccessToken(tokens, secret, 'read')).toBeUndefined();
    expect(await verifyAccessToken(tokens, secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'), 'proxy')).toBeUndefined();
  });

  it('refuses a second live token with the same name, and allows it after revocation', async () => {
    const tokens = createMemoryAccessTokenStore();
    const first = await issueAccessToken(tokens, input, new Date());
    await expect(issueAccessToken(tokens, input, new Date())).rejects.toThrow(/already exists/);
    await tokens.revoke('ticketing', new Date());
    expect(await verifyAccessToken(tokens, first.secret, 'proxy')).toBeUndefined();
    await expect(issueAccessToken(tokens, input, new Date())).resolves.toBeDefined();
  });

  it('rejects names that could confuse logs and empty scopes', async () => {
    const tokens = createMemoryAccessTokenStore();
    await expect(issueAccessToken(tokens, { ...input, name: 'a b' }, new Date())).rejects.toThrow(/token name/);
    await expect(issueAccessToken(tokens, { ...input, credentials: [] }, new Date())).rejects.toThrow(/at least one credential/);
  });

  it('caches verification for a while, so a revocation takes effect after the cache time', async () => {
    const tokens = createMemoryAccessTokenStore();
    let now = 0;
    const verifier = createTokenVerifier({ tokens, kind: 'proxy', cacheMilliseconds: 1000, now: () => now });
    const { secret } = await issueAccessToken(tokens, input, new Date());
    expect(await verifier.verify(secret)).toBeDefined();
    await tokens.revoke('ticketing', new Date());
    expect(await verifier.verify(secret)).toBeDefined();
    now = 1001;
    expect(await verifier.verify(secret)).toBeUndefined();
  });
});
