/**
 * Passkeys end to end through a real browser: Chromium's virtual authenticator (CDP
 * WebAuthn domain: CTAP2, internal transport, resident keys, user verification) on a tiny
 * page served by this test on http://localhost (a secure context), which asks rekey
 * serve's management API for options, calls navigator.credentials.create/get and posts the
 * answer back. The API runs on a real SQLite store with row MACs (a sealed install).
 *
 * Covered: registration (password re-check for the first factor), sign-in with a passkey
 * after the password and alone, step-up with a passkey then a production reveal, a
 * replayed assertion, a challenge answered twice, a foreign origin, a wrong RP ID, a
 * counter going backwards (flagged), one person's passkey for another, and a passkey row
 * inserted by SQL (the attacker holds a key pair and the database, not the master key).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRowIntegrity } from '../../src/crypto/integrity-keys.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { createTotpSecondFactor } from '../../src/team/mfa-service.js';
import { sealTeamRows } from '../../src/team/team-integrity.js';
import { createMfaSecondFactor, passkeyIntact, webauthnConfigFromUrl } from '../../src/team/webauthn-service.js';
import { createApiWorld, credentialPath, PASSWORD, type ApiWorld } from '../helpers/api-world.js';

const PROD = 'openai/ticketing/prod';

const PAGE = `<!doctype html><meta charset="utf-8"><title>passkey test</title><script>
window.api = async (method, path, token, body) => {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(path, { method, headers, body: body === undefined || body === null ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
};
window.create = async (options) => (await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })).toJSON();
window.assert = async (options) => (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) })).toJSON();
</script>`;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A loopback server: the test page at /, everything else to the world's app. */
async function serveWorld(world: ApiWorld): Promise<{ server: Server; port: number }> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      if (request.url === '/') {
        response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const answer = await world.app.request(request.url ?? '/', { method: request.method, headers: request.headers as Record<string, string>, body: chunks.length === 0 ? undefined : Buffer.concat(chunks) });
      response.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('passkeys through Chromium\'s virtual authenticator', () => {
  let world: ApiWorld;
  let browser: Browser;
  let page: Page;
  let foreign: Page;
  let foreignCdp: CDPSession;
  let foreignAuthenticator = '';
  let cdp: CDPSession;
  let authenticatorId = '';
  let origin = '';
  const servers: Server[] = [];
  const integrity = createRowIntegrity(randomBytes(32));
  let alicePasskey = '';
  let bobPasskey = '';

  // WebAuthn answers only a focused page: the one asked comes to the front.
  let focused: Page | undefined;
  const inPage = async <T>(target: Page, script: string, argument?: unknown): Promise<T> => {
    if (focused !== target) await target.bringToFront();
    focused = target;
    return target.evaluate(`(async (arg) => { ${script} })(${JSON.stringify(argument ?? null)})`) as Promise<T>;
  };
  const api = (method: string, path: string, token?: string, body?: unknown, target = page) => inPage<Answer>(target, 'return api(...arg);', [method, path, token ?? null, body]);
  const passwordLogin = async (user: string, mfa?: unknown): Promise<Answer> => api('POST', '/v1/auth/login', undefined, { user, password: PASSWORD, ...(mfa === undefined ? {} : { mfa }) });
  /** Login options, then an assertion (optionally for one credential id). */
  const loginAssertion = (allow?: string) =>
    inPage<Record<string, unknown>>(page, `const options = (await api('POST', '/v1/auth/passkey/options')).body; if (arg) options.allowCredentials = [{ id: arg, type: 'public-key' }]; return assert(options);`, allow);

  beforeAll(async () => {
    world = await createApiWorld({ team: true, integrity });
    const main = await serveWorld(world);
    const other = await serveWorld(world);
    servers.push(main.server, other.server);
    origin = `http://localhost:${main.port}`;
    world.services.webauthn = webauthnConfigFromUrl(origin);
    const loginDeps = { store: world.store, audit: world.audit, clock: world.clock, actor: 'login', integrity };
    world.services.sessions = { secondFactor: createMfaSecondFactor({ ...loginDeps, webauthn: world.services.webauthn }, createTotpSecondFactor({ ...loginDeps, envelope: createEnvelope(randomBytes(32)) })) };
    await world.addCredential(PROD);
    await world.addPerson('alice', [{ role: 'admin', scope: {} }]);
    await world.addPerson('bob', [{ role: 'admin', scope: {} }]);
    await world.addPerson('mallory', []);
    // As rekey init does on a sealed install: the built-in roles get their MACs.
    await sealTeamRows(world.store, integrity);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${origin}/`);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }));
    // The same authenticator seen from another origin on the same host (another port).
    foreign = await context.newPage();
    await foreign.goto(`http://localhost:${other.port}/`);
    foreignCdp = await context.newCDPSession(foreign);
    await foreignCdp.send('WebAuthn.enable');
    ({ authenticatorId: foreignAuthenticator } = await foreignCdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } }));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) server.close();
    await world?.close();
  });

  it('registers a passkey: the first one needs the password again, the answer is stored sealed', async () => {
    const session = (await passwordLogin('alice')).body.token as string;
    const refused = await api('POST', '/v1/mfa/passkeys/registration-options', session, {});
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('password');
    const registered = await inPage<Answer>(page, `
      const options = await api('POST', '/v1/mfa/passkeys/registration-options', arg, { password: '${PASSWORD}' });
      if (options.status !== 200) return options;
      const response = await create(options.body);
      return api('POST', '/v1/mfa/passkeys', arg, { response, name: 'laptop' });`, session);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject({ name: 'laptop', rpId: 'localhost', flagged: null, intact: true });
    alicePasskey = registered.body.id as string;
    const listed = await api('GET', '/v1/mfa/passkeys', session);
    expect((listed.body as unknown as Array<{ id: string }>).map((passkey) => passkey.id)).toEqual([alicePasskey]);
    const stored = await world.store.getPasskey(alicePasskey);
    expect(stored?.mac).not.toBeNull();
    const events = (await world.audit.list()).filter((event) => event.event === 'mfa-enroll');
    expect(events.map((event) => [event.outcome, event.detail.method])).toEqual([['error', 'webauthn'], ['ok', 'webauthn']]);
  });

  it('signs in with the passkey after the password, and with the passkey alone', async () => {
    const withoutFactor = await passwordLogin('alice');
    expect(withoutFactor.status).toBe(401);
    expect(withoutFactor.body).toMatchObject({ error: { code: 'mfa-required' } });
    const secondFactor = await passwordLogin('alice', { webauthn: await loginAssertion() });
    expect(secondFactor.status, JSON.stringify(secondFactor.body)).toBe(201);
    expect(secondFactor.body).toMatchObject({ session: { mfa: 'webauthn' }, user: { name: 'alice' } });
    const alone = await api('POST', '/v1/auth/passkey', undefined, { response: await loginAssertion() });
    expect(alone.status, JSON.stringify(alone.body)).toBe(201);
    expect(alone.body).toMatchObject({ session: { mfa: 'webauthn' }, user: { name: 'alice' } });
  });

  it('refuses a replayed assertion and a challenge answered twice', async () => {
    const assertion = await loginAssertion();
    expect((await api('POST', '/v1/auth/passkey', undefined, { response: assertion })).status).toBe(201);
    const replayed = await api('POST', '/v1/auth/passkey', undefined, { response: assertion });
    expect(replayed.status).toBe(401);
    expect(JSON.stringify(replayed.body)).toContain('no open challenge');
    // Two fresh signatures (the counter moves) over one challenge: only the first counts.
    const [first, second] = await inPage<Array<Record<string, unknown>>>(page, `const options = (await api('POST', '/v1/auth/passkey/options')).body; return [await assert(options), await assert(options)];`);
    expect((await api('POST', '/v1/auth/passkey', undefined, { response: first })).status).toBe(201);
    expect((await api('POST', '/v1/auth/passkey', undefined, { response: second })).status).toBe(401);
  });

  it('steps up with a passkey, then a production reveal goes through, audited with via.mfa webauthn', async () => {
    const token = (await passwordLogin('alice', { webauthn: await loginAssertion() })).body.token as string;
    world.clock.advance(10 * 60 * 1000);
    const stale = await api('POST', credentialPath(PROD, '/reveal'), token, {});
    expect(stale.status, JSON.stringify(stale.body)).toBe(403);
    expect(stale.body).toMatchObject({ error: { code: 'step-up-required' } });
    const steppedUp = await inPage<Answer>(page, `
      const options = (await api('POST', '/v1/auth/passkey/step-up-options', arg)).body;
      return api('POST', '/v1/auth/step-up', arg, { webauthn: await assert(options) });`, token);
    expect(steppedUp.status, JSON.stringify(steppedUp.body)).toBe(200);
    expect(steppedUp.body.method).toBe('webauthn');
    const revealed = await api('POST', credentialPath(PROD, '/reveal'), token, {});
    expect(revealed.status, JSON.stringify(revealed.body)).toBe(200);
    const reveal = (await world.audit.list()).filter((event) => event.event === 'credential-reveal' || event.event === 'key-reveal').at(-1);
    expect(reveal?.detail.via).toMatchObject({ mfa: 'webauthn' });
    const stepUps = (await world.audit.list()).filter((event) => event.event === 'mfa-verify' && event.detail.purpose === 'step-up');
    expect(stepUps.map((event) => [event.outcome, event.detail.method])).toEqual([['ok', 'webauthn']]);
  });

  it('refuses an assertion made on another origin, and one for another RP ID', async () => {
    // On our origin, an assertion for RP ID "localhost" while the server is bound to another RP ID.
    const bound = world.services.webauthn;
    world.services.webauthn = { rpId: 'rekey.localhost', origin, rpName: 'rekey' };
    const wrongRp = await inPage<Answer>(page, `
      const options = (await api('POST', '/v1/auth/passkey/options')).body;
      options.rpId = 'localhost';
      return api('POST', '/v1/auth/passkey', undefined, { response: await assert(options) });`);
    world.services.webauthn = bound;
    expect(wrongRp.status).toBe(401);
    expect(JSON.stringify(wrongRp.body)).toMatch(/RP ID/i);
    // The foreign origin with a real passkey of alice's (copied into its authenticator).
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const copy = credentials.find((credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url') === alicePasskey);
    expect(copy).toBeDefined();
    await foreignCdp.send('WebAuthn.addCredential', { authenticatorId: foreignAuthenticator, credential: { ...copy!, signCount: copy!.signCount + 100 } });
    const phished = await inPage<Answer>(foreign, `
      const options = (await api('POST', '/v1/auth/passkey/options')).body;
      options.allowCredentials = [{ id: arg, type: 'public-key' }];
      return api('POST', '/v1/auth/passkey', undefined, { response: await assert(options) });`, alicePasskey);
    expect(phished.status).toBe(401);
    expect(JSON.stringify(phished.body)).toMatch(/origin/i);
  });

  it("does not take alice's passkey for bob, at sign-in or at step-up", async () => {
    const session = (await passwordLogin('bob')).body.token as string;
    const registered = await inPage<Answer>(page, `
      const options = await api('POST', '/v1/mfa/passkeys/registration-options', arg, { password: '${PASSWORD}' });
      return api('POST', '/v1/mfa/passkeys', arg, { response: await create(options.body), name: 'bob key' });`, session);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    bobPasskey = registered.body.id as string;
    const asBob = await passwordLogin('bob', { webauthn: await loginAssertion(alicePasskey) });
    expect(asBob.status).toBe(401);
    const stepUp = await inPage<Answer>(page, `
      const options = (await api('POST', '/v1/auth/passkey/step-up-options', arg.token)).body;
      options.allowCredentials = [{ id: arg.alice, type: 'public-key' }];
      return api('POST', '/v1/auth/step-up', arg.token, { webauthn: await assert(options) });`, { token: session, alice: alicePasskey });
    expect(stepUp.status).toBe(400);
    expect(JSON.stringify(stepUp.body)).toContain('belongs to someone else');
    const refusals = (await world.audit.list()).filter((event) => event.event === 'mfa-verify' && event.outcome === 'error' && event.detail.passkeyId === alicePasskey);
    expect(refusals.map((event) => event.detail.reason)).toContain("another person's passkey");
  });

  it('flags a passkey whose signature counter goes backwards (a cloned authenticator) and refuses it from then on', async () => {
    expect((await api('POST', '/v1/auth/passkey', undefined, { response: await loginAssertion(bobPasskey) })).status).toBe(201);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const bobs = credentials.find((credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url') === bobPasskey);
    expect(bobs?.signCount).toBeGreaterThan(1);
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: bobs!.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...bobs!, signCount: 0 } });
    const cloned = await api('POST', '/v1/auth/passkey', undefined, { response: await loginAssertion(bobPasskey) });
    expect(cloned.status).toBe(401);
    expect(JSON.stringify(cloned.body)).toContain('counter');
    expect((await world.store.getPasskey(bobPasskey))?.flaggedAt).not.toBeNull();
    // Even a good counter now: refused until removed.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: bobs!.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...bobs!, signCount: 1000 } });
    const after = await api('POST', '/v1/auth/passkey', undefined, { response: await loginAssertion(bobPasskey) });
    expect(after.status).toBe(401);
    expect(JSON.stringify(after.body)).toContain('flagged');
  });

  it('refuses a passkey row inserted by SQL for alice (the attacker has a passkey and the database, not the master key)', async () => {
    const users = await world.store.listUsers();
    const alice = users.find((user) => user.name === 'alice')!;
    // Mallory registers a passkey of her own, honestly...
    const session = (await passwordLogin('mallory')).body.token as string;
    const registered = await inPage<Answer>(page, `
      const options = await api('POST', '/v1/mfa/passkeys/registration-options', arg, { password: '${PASSWORD}' });
      return api('POST', '/v1/mfa/passkeys', arg, { response: await create(options.body), name: 'mallory key' });`, session);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const id = registered.body.id as string;
    const own = (await world.store.getPasskey(id))!;
    // ...then, with write access to the database, moves that key pair onto alice: her row
    // deleted, a row for alice inserted by SQL, and her authenticator now naming alice.
    const database = new Database(`${world.directory}/rekey.db`);
    database.prepare('DELETE FROM webauthn_credentials WHERE id = ?').run(id);
    database.prepare(`INSERT INTO webauthn_credentials (id, user_id, name, public_key, counter, transports, created_at, rp_id) VALUES (?, ?, 'planted', ?, ?, '[]', ?, 'localhost')`)
      .run(id, alice.id, own.publicKey, own.counter, new Date().toISOString());
    database.close();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const key = credentials.find((credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url') === id)!;
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: key.credentialId });
    // (The attacker's authenticator does not hold alice's real passkey: one per account there.)
    const real = credentials.find((credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url') === alicePasskey)!;
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: real.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...key, userHandle: Buffer.from(alice.id, 'utf8').toString('base64') } });
    const planted = await api('POST', '/v1/auth/passkey', undefined, { response: await loginAssertion(id) });
    expect(planted.status, JSON.stringify(planted.body)).toBe(401);
    expect(JSON.stringify(planted.body)).toContain('integrity');
    const planted2 = (await world.store.getPasskey(id))!;
    expect(planted2.userId).toBe(alice.id);
    expect(passkeyIntact({ integrity }, planted2)).toBe(false);
    const refusal = (await world.audit.list()).filter((event) => event.event === 'mfa-verify' && event.outcome === 'error').at(-1);
    expect(refusal).toMatchObject({ detail: { reason: 'passkey row fails its integrity check', method: 'webauthn' } });
    // Nothing of a ceremony reaches the audit log: no challenge, no signature, no public key.
    const everything = JSON.stringify(await world.audit.list());
    expect(everything).not.toContain(own.publicKey.toString('base64url'));
    expect(everything).not.toMatch(/"(challenge|signature|clientDataJSON|authenticatorData|attestationObject)":/);
  });
});
