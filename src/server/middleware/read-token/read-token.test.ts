import { describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../../access/access-tokens.js';
import { NAME, keysPath, useServerApp } from '../../../../test/helpers/server-app-world.js';

const world = useServerApp();

describe('read-token middleware', () => {
  it('refuses a missing, malformed, unknown or revoked token with 401 and never echoes it', async () => {
    expect((await world.app.request(keysPath)).status).toBe(401);
    expect((await world.app.request(keysPath, { headers: world.auth('nonsense') })).status).toBe(401);
    const forged = world.readToken.slice(0, -4) + 'AAAA';
    const response = await world.app.request(keysPath, { headers: world.auth(forged) });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(forged);
    await world.fixture.store.revokeAccessToken('ticketing-api', new Date());
    expect((await world.app.request(keysPath, { headers: world.auth() })).status).toBe(401);
  });
  it('refuses a proxy token on the read API', async () => {
    const proxy = await issueAccessToken(world.fixture.store, { kind: 'proxy', name: 'p', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date());
    expect((await world.app.request(keysPath, { headers: world.auth(proxy.secret) })).status).toBe(401);
  });
});
