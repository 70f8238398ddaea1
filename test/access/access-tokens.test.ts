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

describe('token expiry and network binding', () => {
  it('refuses a token after its TTL on the injected clock, cached or not, and a bound token from outside its networks', async () => {
    let now = Date.parse('2026-05-01T10:00:00Z');
    const { secret } = await issueAccessToken(tokens, { ...baseInput, name: `ttl-${tokenName++}`, ttlSeconds: 3600, cidrs: ['10.0.0.0/8', 'fd00::/8'] }, new Date(now));
    const verifier = createTokenVerifier({ tokens, kind: 'proxy', now: () => now });
    expect((await verifier.verify(secret, '10.1.2.3'))?.expiresAt).toEqual(new Date('2026-05-01T11:00:00Z'));
    expect(await verifier.verify(secret, '::ffff:10.9.9.9')).toBeDefined();
    expect(await verifier.verify(secret, 'fd00::1')).toBeDefined();
    expect(await verifier.verify(secret, '192.168.1.1')).toBeUndefined();
    expect(await verifier.verify(secret)).toBeUndefined();
    now += 3600 * 1000;
    expect(await verifier.verify(secret, '10.1.2.3')).toBeUndefined();
  });

  it('refuses a bad TTL or CIDR with a message naming it', async () => {
    await expect(issueAccessToken(tokens, { ...baseInput, name: 'bad-ttl', ttlSeconds: 0 }, new Date())).rejects.toThrow(/lifetime must be a whole number of seconds above 0/);
    await expect(issueAccessToken(tokens, { ...baseInput, name: 'bad-cidr', cidrs: ['10.0.0.0/33'] }, new Date())).rejects.toThrow(/--cidr "10.0.0.0\/33" is not a CIDR block/);
    await expect(issueAccessToken(tokens, { ...baseInput, name: 'no-such', credentials: ['openai/none/prod'] }, new Date())).rejects.toThrow(/no credential named openai\/none\/prod/);
  });
});
