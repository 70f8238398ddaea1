import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { createKeySets, type KeySets } from '../../src/access/key-sets.js';
import { createServerApp } from '../../src/server/server-app.js';
import { createTokenVerifier } from '../../src/access/token-verifier.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/ticketing/prod';
const KEY_ONE = 'sk-proj-' + 'a'.repeat(40) + 'One1';
const KEY_TWO = 'sk-proj-' + 'b'.repeat(40) + 'Two2';

let fixture: KeyFixture;
let keySets: KeySets;
let app: ReturnType<typeof createServerApp>;
let readToken: string;

beforeEach(async () => {
  fixture = await createKeyFixture();
  await fixture.addCredential(NAME, KEY_ONE);
  await fixture.addCredential('openai/other/prod', 'sk-proj-' + 'c'.repeat(40));
  keySets = createKeySets({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 20 });
  app = createServerApp({
    keySets,
    verifier: createTokenVerifier({ tokens: fixture.store, kind: 'read', cacheMilliseconds: 0 }),
    usage: fixture.store,
    now: () => new Date('2026-05-01T10:00:30Z'),
    ready: async () => undefined,
  });
  readToken = (await issueAccessToken(fixture.store, { kind: 'read', name: 'ticketing-api', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
});
afterEach(async () => {
  keySets.close();
  await fixture.close();
});

const auth = (token = readToken) => ({ authorization: `Bearer ${token}` });
const keysPath = `/v1/credentials/${encodeURIComponent(NAME)}/keys`;

describe('key-delivery endpoint', () => {
  it('answers health checks without a token', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    expect(await (await app.request('/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('refuses a missing, malformed, unknown or revoked token with 401 and never echoes it', async () => {
    expect((await app.request(keysPath)).status).toBe(401);
    expect((await app.request(keysPath, { headers: auth('nonsense') })).status).toBe(401);
    const forged = readToken.slice(0, -4) + 'AAAA';
    const response = await app.request(keysPath, { headers: auth(forged) });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(forged);
    await fixture.store.revokeAccessToken('ticketing-api', new Date());
    expect((await app.request(keysPath, { headers: auth() })).status).toBe(401);
  });

  it('refuses a proxy token on the read API', async () => {
    const proxy = await issueAccessToken(fixture.store, { kind: 'proxy', name: 'p', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date());
    expect((await app.request(keysPath, { headers: auth(proxy.secret) })).status).toBe(401);
  });

  it('serves the current key with an ETag, and 403 for a credential outside the token scope', async () => {
    const response = await app.request(keysPath, { headers: auth() });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(await response.json()).toEqual({
      credential: NAME,
      provider: 'openai',
      generation: expect.any(Number),
      keys: [{ version: 1, stage: 'current', value: KEY_ONE, hint: 'sk-proj-…One1' }],
    });
    const other = await app.request('/v1/credentials/openai%2Fother%2Fprod/keys', { headers: auth() });
    expect(other.status).toBe(403);
    expect(await other.text()).not.toContain('sk-proj-');
  });

  it('accepts the name with raw slashes too', async () => {
    const response = await app.request(`/v1/credentials/${NAME}/keys`, { headers: auth() });
    expect(response.status).toBe(200);
  });

  it('returns 404 for an unknown credential in scope', async () => {
    const scoped = await issueAccessToken(fixture.store, { kind: 'read', name: 'ghost-app', credentials: ['openai/ghost/prod'], allowedModels: [], createdBy: 'test' }, new Date());
    const response = await app.request('/v1/credentials/openai%2Fghost%2Fprod/keys', { headers: auth(scoped.secret) });
    expect(response.status).toBe(404);
  });

  it('answers 304 for a matching If-None-Match, and serves current + previous after a promote', async () => {
    const first = await app.request(keysPath, { headers: auth() });
    const etag = first.headers.get('etag') ?? '';
    const unchanged = await app.request(keysPath, { headers: { ...auth(), 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);

    await fixture.rotate(NAME, KEY_TWO);
    await keySets.refresh(NAME);
    const changed = await app.request(keysPath, { headers: { ...auth(), 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const body = (await changed.json()) as { keys: Array<{ version: number; stage: string; value: string }> };
    expect(body.keys.map((key) => [key.version, key.stage, key.value])).toEqual([
      [2, 'current', KEY_TWO],
      [1, 'previous', KEY_ONE],
    ]);
  });

  it('holds a long poll until the credential is rotated, then answers at once', async () => {
    const first = await app.request(keysPath, { headers: auth() });
    const etag = first.headers.get('etag') ?? '';
    let answered = false;
    const polling = Promise.resolve(app.request(`${keysPath}?wait=30`, { headers: { ...auth(), 'if-none-match': etag } })).then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    await fixture.rotate(NAME, KEY_TWO);
    const response = await polling;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { keys: Array<{ value: string }> };
    expect(body.keys[0]?.value).toBe(KEY_TWO);
  });

  it('answers 304 when a long poll times out unchanged', async () => {
    const first = await app.request(keysPath, { headers: auth() });
    const response = await app.request(`${keysPath}?wait=0.05`, { headers: { ...auth(), 'if-none-match': first.headers.get('etag') ?? '' } });
    expect(response.status).toBe(304);
  });

  it('records SDK check-ins as usage observations for the token, per version and instance', async () => {
    const response = await app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: NAME, instance: 'host-1', versions: [{ version: 1, requests: 42 }] }),
    });
    expect(response.status).toBe(204);
    const credential = await fixture.store.getCredential(NAME);
    const observations = await fixture.store.listConsumerUsage(credential?.id ?? '', 1, new Date('2026-05-01T10:00:00Z'));
    expect(observations).toEqual([{ source: 'sdk', consumer: 'ticketing-api/host-1', lastSeenAt: new Date('2026-05-01T10:00:30Z'), lastUsedAt: new Date('2026-05-01T10:00:30Z'), requests: 42 }]);
    expect(await fixture.store.listConsumerUsage(credential?.id ?? '', 2, new Date('2026-05-01T10:00:00Z'))).toEqual([]);
  });

  it('keeps the time of use a client reports (a count re-sent after a failed check-in is not recent traffic)', async () => {
    const response = await app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: NAME, versions: [{ version: 1, requests: 5, lastUsedAt: Date.parse('2026-05-01T09:58:10Z') }, { version: 2, requests: 0, lastUsedAt: Date.parse('2026-05-01T09:00:00Z') }] }),
    });
    expect(response.status).toBe(204);
    const credential = await fixture.store.getCredential(NAME);
    expect(await fixture.store.listConsumerUsage(credential?.id ?? '', 1, new Date('2026-05-01T09:50:00Z'))).toEqual([
      expect.objectContaining({ consumer: 'ticketing-api', lastUsedAt: new Date('2026-05-01T09:58:10Z'), requests: 5 }),
    ]);
    // Holding a version (no requests) is seen now, and is not use.
    expect(await fixture.store.listConsumerUsage(credential?.id ?? '', 2, new Date('2026-05-01T09:50:00Z'))).toEqual([
      expect.objectContaining({ lastSeenAt: new Date('2026-05-01T10:00:30Z'), lastUsedAt: null, requests: 0 }),
    ]);
  });

  it('rejects a malformed check-in with a message naming the field, and an out-of-scope one with 403', async () => {
    const bad = await app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: NAME, versions: [{ version: 0, requests: 1 }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('versions.0.version');
    const outside = await app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: 'openai/other/prod', versions: [{ version: 1, requests: 1 }] }),
    });
    expect(outside.status).toBe(403);
  });
});
