/**
 * The workload exchange end to end over the management API, against oidc-provider on
 * loopback: an admin adds an identity through the API, a CI job trades its OIDC token for a
 * 15-minute session as `workload:<identity>` in its group, and the role bound to that
 * group decides: it rotates staging and is refused production. A token of another
 * repository or for another audience is a 401 and audited; the session ends at 15
 * minutes, when its identity is removed, on logout, and a session row written by SQL opens
 * nothing. No token ever reaches the audit log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { createRowIntegrity } from '../../src/crypto/integrity-keys.js';
import { bindRole } from '../../src/team/role-service.js';
import { createApiWorld, type ApiWorld } from '../helpers/api-world.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';

const AUDIENCE = 'https://rekey.example.test';
let idp: OidcIssuer;
let world: ApiWorld;
let admin = '';

beforeAll(async () => {
  idp = await startOidcIssuer({ ciJobs: { 'deploy-main': { repository: 'acme/app', ref: 'refs/heads/main' }, 'deploy-fork': { repository: 'mallory/app', ref: 'refs/heads/main' } } });
});
afterAll(() => idp.close());
beforeEach(async () => {
  world = await createApiWorld({ team: true, integrity: createRowIntegrity(randomBytes(32)) });
  await world.addPerson('ada', [{ role: 'admin', scope: {} }]);
  admin = await world.login('ada');
  await bindRole({ store: world.store, audit: world.audit, clock: world.clock, actor: 'test', integrity: world.services.integrity }, { role: 'operator', subjectKind: 'group', subject: 'ci-deployers', scope: { credentials: '*/staging' } });
  await world.addCredential('openai/app/staging');
  await world.addCredential('openai/app/prod');
});
afterEach(() => world.close());

async function addIdentity(): Promise<Response> {
  return world.call('POST', '/v1/identities', admin, { name: 'acme-deploy', issuer: idp.issuer, audience: AUDIENCE, boundClaims: { repository: 'acme/*', ref: 'refs/heads/main' }, groups: ['ci-deployers'] });
}

async function exchange(oidcToken: string): Promise<Response> {
  return world.call('POST', '/v1/auth/workload', undefined, { token: oidcToken });
}

describe('workload exchange (oidc-provider on loopback)', () => {
  it('manages identities with manage-users only, and a job of the bound repository gets a session that its group binding governs', async () => {
    await world.addPerson('olga', [{ role: 'operator', scope: {} }]);
    const operator = await world.login('olga');
    expect((await world.call('POST', '/v1/identities', operator, { name: 'x', issuer: idp.issuer, audience: AUDIENCE, boundClaims: { repository: 'a/b' }, groups: [] })).status).toBe(403);
    expect((await addIdentity()).status).toBe(201);
    expect(await (await world.call('GET', '/v1/identities', admin)).json()).toEqual([expect.objectContaining({ name: 'acme-deploy', boundClaims: { repository: 'acme/*', ref: 'refs/heads/main' }, groups: ['ci-deployers'], createdBy: 'user:ada' })]);

    const oidcToken = await idp.ciToken('deploy-main', AUDIENCE);
    const response = await exchange(oidcToken);
    expect(response.status, await response.clone().text()).toBe(201);
    const body = (await response.json()) as { token: string; session: { id: string; expiresAt: string }; actor: string; identity: { groups: string[] } };
    expect(body).toMatchObject({ token: expect.stringMatching(/^rk_wls_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/), actor: 'workload:acme-deploy', identity: { groups: ['ci-deployers'] } });
    expect(new Date(body.session.expiresAt).getTime() - world.clock.now().getTime()).toBe(15 * 60_000);

    const whoami = (await (await world.call('GET', '/v1/auth/whoami', body.token)).json()) as { user: { name: string }; grants: Array<{ role: string }> };
    expect(whoami).toMatchObject({ user: { name: 'workload:acme-deploy' }, grants: [{ role: 'operator', scope: 'credentials=*/staging' }] });
    const listed = (await (await world.call('GET', '/v1/credentials', body.token)).json()) as Array<{ credential: { name: string } }>;
    expect(listed.map((item) => item.credential.name)).toEqual(['openai/app/staging']);
    const rotated = await world.call('POST', '/v1/rotations', body.token, { credential: 'openai/app/staging', graceQuietSeconds: 0 });
    expect(rotated.status, await rotated.clone().text()).toBe(201);
    const refused = await world.call('POST', '/v1/rotations', body.token, { credential: 'openai/app/prod', graceQuietSeconds: 0 });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('workload:acme-deploy lacks capability rotate on openai/app/prod');
    // Nothing install-wide: it cannot manage identities or users.
    expect((await world.call('GET', '/v1/identities', body.token)).status).toBe(403);

    const events = await world.audit.list();
    expect(events.filter((event) => event.event === 'rotation-start').map((event) => event.actor)).toEqual(['workload:acme-deploy']);
    expect(events.find((event) => event.event === 'session-login' && event.actor === 'workload:acme-deploy')?.detail).toMatchObject({ kind: 'workload', identity: 'acme-deploy', subject: 'deploy-main' });
    const persisted = JSON.stringify(events) + JSON.stringify(await world.store.listSessions());
    expect(persisted).not.toContain(oidcToken);
    expect(persisted).not.toContain(body.token);
  });

  it('refuses a token of another repository or for another audience with a 401, audited without the token', async () => {
    await addIdentity();
    const fork = await idp.ciToken('deploy-fork', AUDIENCE);
    const elsewhere = await idp.ciToken('deploy-main', 'https://elsewhere.example.test');
    for (const token of [fork, elsewhere, 'not-a-jwt']) {
      const response = await exchange(token);
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).toContain('workload token refused');
      expect(text).not.toContain(token);
    }
    const refusals = (await world.audit.list()).filter((event) => event.event === 'workload-login');
    expect(refusals.map((event) => [event.outcome, event.detail['reason']])).toEqual([
      ['error', 'no workload identity binds these claims'],
      ['error', 'signature, audience or expiry does not hold'],
      ['error', 'not a JWT'],
    ]);
    expect(JSON.stringify(refusals)).not.toContain(fork);
  });

  it('ends the session after 15 minutes, on logout, when its identity is removed, and refuses a row written by SQL', async () => {
    await addIdentity();
    const first = ((await (await exchange(await idp.ciToken('deploy-main', AUDIENCE))).json()) as { token: string }).token;
    world.clock.advance(15 * 60_000 - 1000);
    expect((await world.call('GET', '/v1/auth/whoami', first)).status).toBe(200);
    world.clock.advance(1000);
    const expired = await world.call('GET', '/v1/auth/whoami', first);
    expect(expired.status).toBe(401);
    expect(await expired.text()).toContain('expired');
    world.clock.advance(-15 * 60_000);

    const second = ((await (await exchange(await idp.ciToken('deploy-main', AUDIENCE))).json()) as { token: string }).token;
    expect((await world.call('POST', '/v1/auth/logout', second)).status).toBe(200);
    expect((await world.call('GET', '/v1/auth/whoami', second)).status).toBe(401);

    const third = ((await (await exchange(await idp.ciToken('deploy-main', AUDIENCE))).json()) as { token: string }).token;
    // A database admin copies the live row under a token they know: its MAC binds the token hash.
    const forged = `rk_wls_${'f'.repeat(16)}_${'A'.repeat(43)}`;
    const live = await world.store.findWorkloadSession(`wls_${third.slice('rk_wls_'.length, 'rk_wls_'.length + 16)}`);
    if (live === undefined) throw new Error('the workload session was not stored');
    await world.store.createWorkloadSession({ ...live.session, id: `wls_${'f'.repeat(16)}` }, createHash('sha256').update(forged).digest());
    const tampered = await world.call('GET', '/v1/auth/whoami', forged);
    expect(tampered.status).toBe(401);
    expect(await tampered.text()).toContain('integrity');
    expect((await world.call('DELETE', '/v1/identities/acme-deploy', admin)).status).toBe(200);
    expect((await world.call('GET', '/v1/auth/whoami', third)).status).toBe(401);
  });
});
