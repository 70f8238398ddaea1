/**
 * OIDC SSO for people, the whole authorization-code flow over HTTP against oidc-provider
 * on loopback (its real interaction API signs the test person in), through `rekey serve`'s
 * routes: the session's IdP groups grant what their binding says and nothing more, are
 * refreshed at each login; a require-mfa role needs MFA the IdP did not assert. Attacks:
 * a forged, replayed or foreign-browser state, an injected code with another login's
 * verifier, a swapped nonce, an expired ID token, a code from another issuer, the same
 * `sub` at another issuer, an email matching a local account, a CLI one-time code with a
 * wrong verifier. Every attempt is audited without a code or a token.
 */
import { randomBytes } from 'node:crypto';
import type { Configuration } from 'oidc-provider';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRowIntegrity } from '../../src/crypto/integrity-keys.js';
import { bindRole, setRoleMfa } from '../../src/team/role-service.js';
import { saveSsoProvider } from '../../src/team/sso-provider.js';
import { pkceChallengeOf } from '../../src/team/sso-login.js';
import { createApiWorld, type ApiWorld } from '../helpers/api-world.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';

const CALLBACK = (name: string) => `http://localhost/v1/auth/sso/${name}/callback`;
const PEOPLE = {
  alice: { email: 'alice@acme.com', email_verified: true, name: 'Alice', groups: ['sre'] },
  bob: { email: 'bob@acme.com', email_verified: true, groups: ['sre'] },
};

function issuerConfig(clientId: string, providers: string[]): () => Partial<Configuration> {
  return () => ({
    clients: [{ client_id: clientId, client_secret: `${clientId}-secret`, redirect_uris: providers.map(CALLBACK), grant_types: ['authorization_code'], response_types: ['code' as const], token_endpoint_auth_method: 'client_secret_post' as const }],
    pkce: { required: () => true },
    ttl: { IdToken: 120 },
  });
}

let idp: OidcIssuer;
let other: OidcIssuer;
let world: ApiWorld;

beforeAll(async () => {
  idp = await startOidcIssuer({ accounts: PEOPLE, configure: issuerConfig('rekey', ['corp', 'other']) });
  // Another issuer that knows an `alice` too (same sub, same email): it must not become the same person.
  other = await startOidcIssuer({ accounts: { alice: { email: 'alice@acme.com', email_verified: true, groups: ['admins'] } }, configure: issuerConfig('rekey', ['other']) });
});
afterAll(async () => {
  await idp.close();
  await other.close();
});
beforeEach(async () => {
  world = await createApiWorld({ team: true, integrity: createRowIntegrity(randomBytes(32)) });
  // The IdP stamps tokens with the real time: start rekey's injected clock there.
  world.clock.advance(Date.now() - world.clock.now().getTime());
  const team = { store: world.store, audit: world.audit, clock: world.clock, actor: 'test', integrity: world.services.integrity };
  const envelope = world.services.team?.envelope;
  if (envelope === undefined) throw new Error('team mode');
  await saveSsoProvider({ ...team, envelope }, { name: 'corp', issuer: idp.issuer, clientId: 'rekey', clientSecret: 'rekey-secret', allowedDomains: ['acme.com'] });
  await saveSsoProvider({ ...team, envelope }, { name: 'other', issuer: other.issuer, clientId: 'rekey', clientSecret: 'rekey-secret' });
  await bindRole(team, { role: 'operator', subjectKind: 'group', subject: 'sre', scope: { credentials: '*/staging' } });
  await bindRole(team, { role: 'admin', subjectKind: 'group', subject: 'admins', scope: {} });
  await world.addCredential('openai/app/staging');
  await world.addCredential('openai/app/prod');
  idp.next.account = 'alice';
  idp.next.amr = undefined;
});
afterEach(() => world.close());

function setCookies(response: Response): string[] {
  return response.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
}

/** The browser's part: start at rekey, walk the IdP (its cookies kept), stop at rekey's callback URL. */
async function walk(start: string, edit?: (authorizeUrl: URL) => void): Promise<{ callback: URL; stateCookie: string }> {
  const started = await world.app.request(start);
  expect(started.status, await started.clone().text()).toBe(302);
  const stateCookie = setCookies(started).find((item) => item.startsWith('rekey_sso_state=')) ?? '';
  const authorize = new URL(started.headers.get('location') ?? '');
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  edit?.(authorize);
  const jar = new Map<string, string>();
  let location = authorize.href;
  for (let hop = 0; hop < 10 && !location.startsWith('http://localhost/'); hop++) {
    const response = await fetch(location, { redirect: 'manual', headers: { cookie: [...jar].map(([key, value]) => `${key}=${value}`).join('; ') } });
    for (const item of setCookies(response)) {
      const [key, ...value] = item.split('=');
      jar.set(key ?? '', value.join('='));
    }
    const next = response.headers.get('location');
    if (next === null) throw new Error(`the IdP stopped at ${location} with HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    location = new URL(next, location).href;
  }
  return { callback: new URL(location), stateCookie };
}

async function finish(callback: URL, cookie: string): Promise<Response> {
  return world.app.request(callback.pathname + callback.search, { headers: cookie === '' ? {} : { cookie } });
}

async function signIn(provider = 'corp'): Promise<{ token: string; response: Response }> {
  const { callback, stateCookie } = await walk(`/v1/auth/sso/${provider}/start?return_to=/ui/credentials`);
  const response = await finish(callback, stateCookie);
  const token = (setCookies(response).find((item) => item.startsWith('rekey_session=')) ?? '').slice('rekey_session='.length);
  return { token, response };
}

async function reason(response: Response): Promise<string> {
  return ((await response.json()) as { error: { message: string } }).error.message;
}

describe('OIDC SSO for people (oidc-provider on loopback)', () => {
  it('signs a person in by code + PKCE, provisions them by (issuer, sub), and their IdP groups grant what the binding says and nothing more', async () => {
    const { token, response } = await signIn();
    expect(response.status, await response.clone().text()).toBe(302);
    expect(response.headers.get('location')).toBe('/ui/credentials');
    expect(response.headers.getSetCookie().find((line) => line.startsWith('rekey_session='))).toMatch(/HttpOnly; SameSite=Lax/);
    expect(token).toMatch(/^rk_ses_/);
    const whoami = (await (await world.call('GET', '/v1/auth/whoami', token)).json()) as { user: { name: string; groups: string[] }; grants: Array<{ role: string; scope: string }> };
    expect(whoami.user).toMatchObject({ name: 'alice@acme.com', groups: [] });
    expect(whoami.grants).toEqual([expect.objectContaining({ role: 'operator', scope: 'credentials=*/staging' })]);
    const listed = (await (await world.call('GET', '/v1/credentials', token)).json()) as Array<{ credential: { name: string } }>;
    expect(listed.map((item) => item.credential.name)).toEqual(['openai/app/staging']);
    expect((await world.call('POST', '/v1/rotations', token, { credential: 'openai/app/staging', graceQuietSeconds: 0 })).status).toBe(201);
    expect((await world.call('POST', '/v1/rotations', token, { credential: 'openai/app/prod', graceQuietSeconds: 0 })).status).toBe(403);
    expect((await world.call('GET', '/v1/users', token)).status).toBe(403);

    // Groups are refreshed at the next login: the IdP dropped alice from sre.
    PEOPLE.alice.groups = [];
    try {
      const second = await signIn();
      expect((await (await world.call('GET', '/v1/credentials', second.token)).json()) as unknown[]).toEqual([]);
      // The same account, found by (issuer, sub): no second user.
      expect((await world.store.listUsers()).map((user) => user.name)).toEqual(['alice@acme.com']);
    } finally {
      PEOPLE.alice.groups = ['sre'];
    }
    const events = (await world.audit.list()).filter((event) => event.event === 'sso-login');
    expect(events.map((event) => [event.outcome, event.detail['provisioned'], event.detail['groups']])).toEqual([['ok', true, ['sre']], ['ok', false, []]]);
    expect(JSON.stringify(await world.audit.list())).not.toContain(token);
  });

  it('a require-mfa role is refused to an SSO session whose IdP asserted no MFA (amr)', async () => {
    await setRoleMfa({ store: world.store, audit: world.audit, clock: world.clock, actor: 'test', integrity: world.services.integrity }, 'operator', true);
    const plain = await signIn();
    const refused = await world.call('POST', '/v1/rotations', plain.token, { credential: 'openai/app/staging', graceQuietSeconds: 0 });
    expect(refused.status).toBe(403);
    expect(await reason(refused)).toContain('requires MFA');
  });

  it('refuses a forged, replayed or foreign-browser state, an injected code with another verifier, a swapped nonce and an expired ID token', async () => {
    const good = await walk('/v1/auth/sso/corp/start');
    const forged = new URL(good.callback);
    forged.searchParams.set('state', 'forged-state');
    expect(await reason(await finish(forged, 'rekey_sso_state=forged-state'))).toContain('unknown, used or expired state');
    // The state is bound to the browser that started: without its cookie the login is refused (and the state spent).
    expect(await reason(await finish(good.callback, ''))).toContain('does not belong to this browser');
    expect(await reason(await finish(good.callback, good.stateCookie))).toContain('unknown, used or expired state');

    // A victim's code injected into the attacker's own login: the attacker's verifier does not fit the victim's challenge.
    const victim = await walk('/v1/auth/sso/corp/start');
    const attacker = await walk('/v1/auth/sso/corp/start');
    const injected = new URL(attacker.callback);
    injected.searchParams.set('code', victim.callback.searchParams.get('code') ?? '');
    expect(await reason(await finish(injected, attacker.stateCookie))).toContain('the IdP refused the code exchange (invalid_grant)');
    // The victim finishes; the code, once used, is refused to anyone else (code reuse).
    expect((await finish(victim.callback, victim.stateCookie)).status).toBe(302);
    const replayer = await walk('/v1/auth/sso/corp/start');
    const reused = new URL(replayer.callback);
    reused.searchParams.set('code', victim.callback.searchParams.get('code') ?? '');
    expect(await reason(await finish(reused, replayer.stateCookie))).toContain('the IdP refused the code exchange (invalid_grant)');

    const swapped = await walk('/v1/auth/sso/corp/start', (url) => url.searchParams.set('nonce', 'attacker-nonce'));
    expect(await reason(await finish(swapped.callback, swapped.stateCookie))).toMatch(/nonce|unexpected JWT claim value/i);

    const late = await walk('/v1/auth/sso/corp/start');
    world.clock.advance(5 * 60_000);
    expect(await reason(await finish(late.callback, late.stateCookie))).toMatch(/exp|expired|timestamp/i);
    world.clock.advance(-5 * 60_000);

    const events = (await world.audit.list()).filter((event) => event.event === 'sso-login');
    expect(events.filter((event) => event.outcome === 'ok')).toHaveLength(1);
    const text = JSON.stringify(events);
    for (const url of [good.callback, victim.callback, late.callback]) expect(text).not.toContain(url.searchParams.get('code') ?? 'never');
    expect(await world.store.listSessions()).toHaveLength(1);
  });

  it('never takes over an account: the same sub at another issuer, an email matching a local account, a code from another issuer', async () => {
    await signIn();
    // The other issuer's alice has the same sub and email, and claims the admins group.
    const { callback, stateCookie } = await walk('/v1/auth/sso/other/start');
    const refused = await finish(callback, stateCookie);
    expect(refused.status).toBe(401);
    expect(await reason(refused)).toContain('an account named alice@acme.com exists and is not linked');
    // A local account whose name is bob's email is not matched by email either.
    await world.addPerson('bob@acme.com', [{ role: 'admin', scope: {} }]);
    idp.next.account = 'bob';
    const bob = await walk('/v1/auth/sso/corp/start');
    expect(await reason(await finish(bob.callback, bob.stateCookie))).toContain('not linked');
    // A code and iss from the other issuer presented to corp's callback.
    const mixed = await walk('/v1/auth/sso/other/start');
    const ours = await walk('/v1/auth/sso/corp/start');
    const crossed = new URL(ours.callback);
    crossed.searchParams.set('code', mixed.callback.searchParams.get('code') ?? '');
    crossed.searchParams.set('iss', other.issuer);
    expect((await finish(crossed, ours.stateCookie)).status).toBe(401);
    expect((await world.store.listSessions()).length).toBe(1);
  });

  it('finishes a CLI login with a one-time code bound to the CLI verifier, spent on first use', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const start = `/v1/auth/sso/corp/start?cli_redirect=${encodeURIComponent('http://127.0.0.1:45678/callback')}&cli_challenge=${pkceChallengeOf(verifier)}`;
    expect((await world.app.request('/v1/auth/sso/corp/start?cli_redirect=https%3A%2F%2Fevil.example%2F&cli_challenge=' + pkceChallengeOf(verifier))).status).toBe(400);
    const { callback } = await walk(start);
    const redirected = await finish(callback, '');
    expect(redirected.status).toBe(302);
    const loopback = new URL(redirected.headers.get('location') ?? '');
    expect(loopback.origin + loopback.pathname).toBe('http://127.0.0.1:45678/callback');
    const code = loopback.searchParams.get('code') ?? '';
    const wrong = await world.call('POST', '/v1/auth/sso/exchange', undefined, { code, verifier: randomBytes(32).toString('base64url') });
    expect(wrong.status).toBe(401);
    expect((await world.call('POST', '/v1/auth/sso/exchange', undefined, { code, verifier })).status).toBe(401);

    const again = await finish((await walk(start)).callback, '');
    const second = new URL(again.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const exchanged = await world.call('POST', '/v1/auth/sso/exchange', undefined, { code: second, verifier });
    expect(exchanged.status, await exchanged.clone().text()).toBe(201);
    const body = (await exchanged.json()) as { token: string; user: { name: string } };
    expect(body.user.name).toBe('alice@acme.com');
    expect((await world.call('GET', '/v1/auth/whoami', body.token)).status).toBe(200);
  });
});
