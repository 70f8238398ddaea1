import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiWorld, PASSWORD, type ApiWorld } from '../../../test/helpers/api-world.js';
import { disableUser } from '../../team/user-service.js';

let world: ApiWorld;
beforeEach(async () => {
  world = await createApiWorld();
  await world.addPerson('alice', [{ role: 'operator', scope: { credentials: '*/staging' } }]);
});
afterEach(() => world.close());

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('auth routes', () => {
  it('signs in with the password, says who the session is, and audits every attempt without the password or token', async () => {
    const wrong = await world.call('POST', '/v1/auth/login', undefined, { user: 'alice', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    const unknown = await world.call('POST', '/v1/auth/login', undefined, { user: 'mallory', password: PASSWORD });
    expect(unknown.status).toBe(401);
    // The same answer for a wrong password and an unknown user.
    expect((await errorOf(unknown)).message).toBe((await errorOf(wrong)).message);
    const token = await world.login('alice');
    expect(token).toMatch(/^rk_ses_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const whoami = await world.call('GET', '/v1/auth/whoami', token);
    expect(whoami.status).toBe(200);
    expect(await whoami.json()).toMatchObject({ user: { name: 'alice', status: 'active' }, session: { id: expect.stringMatching(/^ses_/), idleSeconds: 7200 }, grants: [{ role: 'operator', scope: 'credentials=*/staging' }] });
    const events = await world.audit.list();
    expect(events.filter((event) => event.event === 'session-login').map((event) => [event.actor, event.outcome, event.detail['reason'] ?? null])).toEqual([
      ['user:alice', 'error', 'wrong password'],
      ['user:mallory', 'error', 'unknown user'],
      ['user:alice', 'ok', null],
    ]);
    const persisted = JSON.stringify(events) + JSON.stringify(await world.store.listSessions());
    expect(persisted).not.toContain(PASSWORD);
    expect(persisted).not.toContain(token);
  });

  it('rejects a malformed login body naming the field', async () => {
    const response = await world.call('POST', '/v1/auth/login', undefined, { user: 'alice' });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain('body field "password"');
  });

  it('re-checks the session on every request: logout, idle and absolute lifetimes, a disabled account', async () => {
    expect((await world.call('GET', '/v1/auth/whoami')).status).toBe(401);
    const first = await world.login('alice');
    expect((await world.call('POST', '/v1/auth/logout', first)).status).toBe(200);
    const afterLogout = await world.call('GET', '/v1/auth/whoami', first);
    expect(afterLogout.status).toBe(401);
    expect((await errorOf(afterLogout)).message).toContain('the session was ended');

    const idle = await world.login('alice');
    world.clock.advance(2 * 60 * 60 * 1000 + 1);
    expect((await errorOf(await world.call('GET', '/v1/auth/whoami', idle))).message).toContain('idle');

    const busy = await world.login('alice');
    for (let hour = 0; hour < 12; hour++) {
      world.clock.advance(60 * 60 * 1000 - 1);
      expect((await world.call('GET', '/v1/auth/whoami', busy)).status).toBe(200);
    }
    world.clock.advance(12 * 60 * 1000);
    expect((await errorOf(await world.call('GET', '/v1/auth/whoami', busy))).message).toContain('expired');

    const live = await world.login('alice');
    await disableUser({ store: world.store, audit: world.audit, clock: world.clock, actor: 'test' }, 'alice');
    expect((await world.call('GET', '/v1/auth/whoami', live)).status).toBe(401);
    expect((await world.call('POST', '/v1/auth/login', undefined, { user: 'alice', password: PASSWORD })).status).toBe(401);
  });

  it('refuses a forged session token (right id, wrong secret) without echoing it', async () => {
    const token = await world.login('alice');
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const response = await world.call('GET', '/v1/auth/whoami', forged);
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(forged);
  });
});
