/**
 * The Store contract, OIDC part (src/store/identity-store-types.ts `OidcStore`, migration 20):
 * SSO providers, (issuer, subject) links, single-use auth challenges (also under a race and
 * past expiry), the groups an IdP asserted for a session (gone with it), workload sessions.
 * Registered by `runStoreContract`, so it runs on SQLite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { Store } from '../../src/store/store.js';
import type { StoreFixture, StoreFixtureFactory } from './store-fixture.js';

const at = new Date('2026-03-01T12:00:00Z');
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

export function runOidcStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  describe(`store contract, OIDC part ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await createFixture({ now: () => at });
      store = fixture.store;
      await store.migrate();
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    const user = (name: string) => ({ id: `usr_${name}`, name, displayName: null, passwordHash: null, groups: [], createdAt: at, createdBy: 'cli:test', mac: null });

    it('saves, replaces, lists and removes SSO providers', async () => {
      const provider = { name: 'corp', issuer: 'https://idp.example', clientId: 'rekey', clientSecretSealed: 'v1:sealed', groupsClaim: 'groups', allowedDomains: ['acme.com'], createdAt: at, createdBy: 'cli:test', mac: 'm1' };
      expect(await store.saveSsoProvider(provider)).toMatchObject({ name: 'corp', allowedDomains: ['acme.com'], clientSecretSealed: 'v1:sealed' });
      await store.saveSsoProvider({ ...provider, clientId: 'rekey-2', allowedDomains: [], mac: 'm2' });
      await store.saveSsoProvider({ ...provider, name: 'other', clientSecretSealed: null });
      expect(await store.getSsoProvider('corp')).toMatchObject({ clientId: 'rekey-2', allowedDomains: [], mac: 'm2' });
      expect((await store.listSsoProviders()).map((item) => [item.name, item.clientSecretSealed])).toEqual([['corp', 'v1:sealed'], ['other', null]]);
      await store.removeSsoProvider('other');
      await expect(store.removeSsoProvider('other')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.getSsoProvider('other')).toBeUndefined();
    });

    it('links (issuer, subject) to one user and keeps issuers apart', async () => {
      await store.createUser(user('ada'));
      await store.createUser(user('bob'));
      await store.linkUserIdentity({ issuer: 'https://a.example', subject: 's1', userId: 'usr_ada', provider: 'a', createdAt: at, mac: 'm' });
      await expect(store.linkUserIdentity({ issuer: 'https://a.example', subject: 's1', userId: 'usr_bob', provider: 'a', createdAt: at, mac: 'm' })).rejects.toBeInstanceOf(ConflictError);
      await store.linkUserIdentity({ issuer: 'https://b.example', subject: 's1', userId: 'usr_bob', provider: 'b', createdAt: at, mac: null });
      expect(await store.findUserIdentity('https://a.example', 's1')).toMatchObject({ userId: 'usr_ada', provider: 'a', lastLoginAt: null, mac: 'm' });
      expect(await store.findUserIdentity('https://b.example', 's1')).toMatchObject({ userId: 'usr_bob' });
      expect(await store.findUserIdentity('https://c.example', 's1')).toBeUndefined();
      await store.touchUserIdentity('https://a.example', 's1', later(5));
      expect((await store.findUserIdentity('https://a.example', 's1'))?.lastLoginAt?.toISOString()).toBe(later(5).toISOString());
      expect((await store.listUserIdentities({ userId: 'usr_bob' })).map((item) => item.issuer)).toEqual(['https://b.example']);
    });

    it('consumes a challenge once, as its own kind, before it expires, also under a race', async () => {
      await store.createAuthChallenge({ id: 'c1', kind: 'sso-state', subject: null, data: '{"x":1}', createdAt: at, expiresAt: later(600) });
      expect(await store.consumeAuthChallenge('c1', 'sso-code', later(1))).toBeUndefined();
      expect(await Promise.all([store.consumeAuthChallenge('c1', 'sso-state', later(1)), store.consumeAuthChallenge('c1', 'sso-state', later(1))])).toEqual(
        expect.arrayContaining([undefined, expect.objectContaining({ id: 'c1', data: '{"x":1}', subject: null })]),
      );
      expect(await store.consumeAuthChallenge('c1', 'sso-state', later(2))).toBeUndefined();
      await store.createAuthChallenge({ id: 'c2', kind: 'sso-state', subject: 'corp', data: '{}', createdAt: at, expiresAt: later(600) });
      expect(await store.consumeAuthChallenge('c2', 'sso-state', later(600))).toBeUndefined();
      await expect(store.createAuthChallenge({ id: 'c2', kind: 'sso-state', subject: null, data: '{}', createdAt: at, expiresAt: later(600) })).rejects.toBeInstanceOf(ConflictError);
      expect(await store.purgeAuthChallenges(later(601))).toBe(2);
    });

    it('keeps the groups an IdP asserted with their session, and drops them with it', async () => {
      await store.createUser(user('ada'));
      await store.createSession({ id: 'ses_1', userId: 'usr_ada', createdAt: at, lastSeenAt: at, expiresAt: later(3600), idleSeconds: 600, mfaAt: null, mfaMethod: null, source: '127.0.0.1', mac: null }, randomBytes(32));
      expect(await store.getSessionClaims('ses_1')).toBeUndefined();
      await store.setSessionClaims({ sessionId: 'ses_1', provider: 'corp', groups: ['ops', 'sec'], mac: 'm' });
      expect(await store.getSessionClaims('ses_1')).toEqual({ sessionId: 'ses_1', provider: 'corp', groups: ['ops', 'sec'], mac: 'm' });
      await expect(store.setSessionClaims({ sessionId: 'ses_none', provider: 'corp', groups: [], mac: null })).rejects.toThrow();
      await fixture.sql("DELETE FROM users WHERE id = 'usr_ada'");
      expect(await store.getSessionClaims('ses_1')).toBeUndefined();
    });

    it('creates, finds and revokes workload sessions', async () => {
      const hash = randomBytes(32);
      await store.createWorkloadSession({ id: 'wls_1', identity: 'deploy', subject: 'repo:acme/app', createdAt: at, expiresAt: later(900), source: '10.0.0.1', mac: 'm' }, hash);
      await store.createWorkloadSession({ id: 'wls_2', identity: 'deploy', subject: 'repo:acme/app', createdAt: at, expiresAt: later(900), source: null, mac: null }, randomBytes(32));
      const found = await store.findWorkloadSession('wls_1');
      expect(found?.tokenHash.equals(hash)).toBe(true);
      expect(found?.session).toMatchObject({ identity: 'deploy', subject: 'repo:acme/app', revokedAt: null, mac: 'm', source: '10.0.0.1' });
      expect(found?.session.expiresAt.toISOString()).toBe(later(900).toISOString());
      await store.revokeWorkloadSession('wls_1', later(1));
      expect((await store.findWorkloadSession('wls_1'))?.session.revokedAt?.toISOString()).toBe(later(1).toISOString());
      expect(await store.revokeWorkloadSessions('deploy', later(2))).toBe(1);
      expect(await store.findWorkloadSession('wls_none')).toBeUndefined();
    });
  });
}
