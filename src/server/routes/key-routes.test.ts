import { describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../access/access-tokens.js';
import { NAME, KEY_ONE, KEY_TWO, keysPath, useServerApp } from '../../../test/helpers/server-app-world.js';

const world = useServerApp();

describe('key routes', () => {
  it('serves the current key with an ETag, and 403 for a credential outside the token scope', async () => {
    const response = await world.app.request(keysPath, { headers: world.auth() });
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
    const other = await world.app.request('/v1/credentials/openai%2Fother%2Fprod/keys', { headers: world.auth() });
    expect(other.status).toBe(403);
    expect(await other.text()).not.toContain('sk-proj-');
  });
  it('accepts the name with raw slashes too', async () => {
    const response = await world.app.request(`/v1/credentials/${NAME}/keys`, { headers: world.auth() });
    expect(response.status).toBe(200);
  });
  it('returns 404 for a credential in scope that was removed', async () => {
    await world.fixture.store.createCredential({ name: 'openai/ghost/prod', provider: 'openai', scope: { project: 'proj_ghost' }, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy: {} });
    const scoped = await issueAccessToken(world.fixture.store, { kind: 'read', name: 'ghost-app', credentials: ['openai/ghost/prod'], allowedModels: [], createdBy: 'test' }, new Date());
    await world.fixture.store.removeCredential('openai/ghost/prod');
    const response = await world.app.request('/v1/credentials/openai%2Fghost%2Fprod/keys', { headers: world.auth(scoped.secret) });
    expect(response.status).toBe(404);
  });
  it('answers 304 for a matching If-None-Match, and serves current + previous after a promote', async () => {
    const first = await world.app.request(keysPath, { headers: world.auth() });
    const etag = first.headers.get('etag') ?? '';
    const unchanged = await world.app.request(keysPath, { headers: { ...world.auth(), 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);

    await world.fixture.rotate(NAME, KEY_TWO);
    await world.keySets.refresh(NAME);
    const changed = await world.app.request(keysPath, { headers: { ...world.auth(), 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const body = (await changed.json()) as { keys: Array<{ version: number; stage: string; value: string }> };
    expect(body.keys.map((key) => [key.version, key.stage, key.value])).toEqual([
      [2, 'current', KEY_TWO],
      [1, 'previous', KEY_ONE],
    ]);
  });
  it('holds a long poll until the credential is rotated, then answers at once', async () => {
    const first = await world.app.request(keysPath, { headers: world.auth() });
    const etag = first.headers.get('etag') ?? '';
    let answered = false;
    const polling = Promise.resolve(world.app.request(`${keysPath}?wait=30`, { headers: { ...world.auth(), 'if-none-match': etag } })).then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    await world.fixture.rotate(NAME, KEY_TWO);
    const response = await polling;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { keys: Array<{ value: string }> };
    expect(body.keys[0]?.value).toBe(KEY_TWO);
  });
  it('answers 304 when a long poll times out unchanged', async () => {
    const first = await world.app.request(keysPath, { headers: world.auth() });
    const response = await world.app.request(`${keysPath}?wait=0.05`, { headers: { ...world.auth(), 'if-none-match': first.headers.get('etag') ?? '' } });
    expect(response.status).toBe(304);
  });
});
