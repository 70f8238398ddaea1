import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashAccessToken, issueAccessToken, verifyAccessToken } from '../../src/access/access-tokens.js';
import { createTokenVerifier } from '../../src/access/token-verifier.js';
import type { Store } from '../../src/store/store.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';

const baseInput = { kind: 'proxy' as const, name: 'ticketing', credentials: ['openai/a/prod'], allowedModels: ['gpt-4o-mini'], createdBy: 'test' };

let scratch: ScratchStore;
let tokens: Store;
let tokenName = 0;
beforeAll(async () => {
  scratch = await openScratchStore();
  tokens = scratch.store;
  await tokens.createCredential({ name: 'openai/a/prod', provider: 'openai', scope: { project: 'proj_a' }, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy: {} });
});
afterAll(async () => {
  await scratch.close();
});

describe('access tokens', () => {
  let input = baseInput;
  beforeEach(() => {
    tokenName += 1;
    input = { ...baseInput, name: `ticketing-${tokenName}` };
  });

  it('issues a high-entropy token, stores only its hash, and verifies it for its kind', async () => {
    const { token, secret } = await issueAccessToken(tokens, input, new Date());
    expect(secret).toMatch(/^rk_proxy_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const stored = await tokens.findAccessToken(token.id);
    expect(stored?.hash.equals(hashAccessToken(secret))).toBe(true);
    expect(JSON.stringify(stored?.token)).not.toContain(secret.slice(-43));
    expect((await verifyAccessToken(tokens, secret, 'proxy'))?.name).toBe(input.name);
    expect(await verifyAccessToken(tokens, secret, 'read')).toBeUndefined();
    expect(await verifyAccessToken(tokens, secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'), 'proxy')).toBeUndefined();
  });

  it('refuses a second live token with the same name, and allows it after revocation', async () => {
    const first = await issueAccessToken(tokens, input, new Date());
    await expect(issueAccessToken(tokens, input, new Date())).rejects.toThrow(/already exists/);
    await tokens.revokeAccessToken(input.name, new Date());
    expect(await verifyAccessToken(tokens, first.secret, 'proxy')).toBeUndefined();
    await expect(issueAccessToken(tokens, input, new Date())).resolves.toBeDefined();
  });

  it('rejects names that could confuse logs and empty scopes', async () => {
    await expect(issueAccessToken(tokens, { ...input, name: 'a b' }, new Date())).rejects.toThrow(/token name/);
    await expect(issueAccessToken(tokens, { ...input, credentials: [] }, new Date())).rejects.toThrow(/at least one credential/);
  });

  it('caches verification for a while, so a revocation takes effect after the cache time', async () => {
    let now = 0;
    const verifier = createTokenVerifier({ tokens, kind: 'proxy', cacheMilliseconds: 1000, now: () => now });
    const { secret } = await issueAccessToken(tokens, input, new Date());
    expect(await verifier.verify(secret)).toBeDefined();
    await tokens.revokeAccessToken(input.name, new Date());
    expect(await verifier.verify(secret)).toBeDefined();
    now = 1001;
    expect(await verifier.verify(secret)).toBeUndefined();
  });
});
