/**
 * The Store contract, passkeys (src/store/passkey-store-types.ts, migrations 13 and 19):
 * WebAuthn credentials and single-use challenges. Registered by `runStoreContract`, so it
 * runs on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { PasskeyRecord } from '../../src/store/passkey-store-types.js';
import type { Store } from '../../src/store/store.js';
import type { StoreFixture, StoreFixtureFactory } from './store-fixture.js';

const at = new Date('2026-03-01T12:00:00Z');
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

function passkey(id: string, userId: string): PasskeyRecord {
  return {
    id, userId, name: `key ${id}`, publicKey: Buffer.from([0xa5, 1, 2, 3, 0x26]), counter: 0, transports: ['internal', 'hybrid'], rpId: 'rekey.example',
    deviceType: 'multiDevice', backedUp: true, createdAt: at, lastUsedAt: null, flaggedAt: null, flagReason: null, mac: 'm0',
  };
}

export function runPasskeyStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  describe(`store contract, passkeys ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await createFixture({ now: () => at });
      store = fixture.store;
      await store.migrate();
      await store.createUser({ id: 'usr_bob', name: 'bob', displayName: null, passwordHash: null, groups: [], createdAt: at, createdBy: 'cli:test', mac: null });
      await store.createUser({ id: 'usr_eve', name: 'eve', displayName: null, passwordHash: null, groups: [], createdAt: at, createdBy: 'cli:test', mac: null });
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('stores passkeys once per credential id, updates counter, backup state and flag, and removes them', async () => {
      const stored = await store.addPasskey(passkey('cred-1', 'usr_bob'));
      expect(stored).toEqual(passkey('cred-1', 'usr_bob'));
      await expect(store.addPasskey(passkey('cred-1', 'usr_eve'))).rejects.toBeInstanceOf(ConflictError);
      await expect(store.addPasskey(passkey('cred-x', 'usr_nobody'))).rejects.toBeInstanceOf(NotFoundError);
      await store.addPasskey({ ...passkey('cred-2', 'usr_bob'), createdAt: later(5) });
      await store.addPasskey(passkey('cred-3', 'usr_eve'));
      expect((await store.listPasskeys('usr_bob')).map((item) => item.id)).toEqual(['cred-1', 'cred-2']);
      const updated = await store.updatePasskey('cred-1', { counter: 7, backedUp: false, lastUsedAt: later(9), flaggedAt: later(10), flagReason: 'counter went backwards', mac: 'm1' });
      expect(updated).toMatchObject({ counter: 7, backedUp: false, flagReason: 'counter went backwards', mac: 'm1', transports: ['internal', 'hybrid'], deviceType: 'multiDevice' });
      expect(updated.lastUsedAt?.toISOString()).toBe(later(9).toISOString());
      expect(updated.flaggedAt?.toISOString()).toBe(later(10).toISOString());
      expect(updated.publicKey.equals(Buffer.from([0xa5, 1, 2, 3, 0x26]))).toBe(true);
      await expect(store.updatePasskey('cred-none', { counter: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await store.removePasskey('cred-2');
      await expect(store.removePasskey('cred-2')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.getPasskey('cred-2')).toBeUndefined();
      expect(await store.removeUserPasskeys('usr_bob')).toBe(1);
      expect(await store.listPasskeys('usr_bob')).toEqual([]);
      expect((await store.listPasskeys('usr_eve')).length).toBe(1);
      await store.setRowMac('webauthn_credentials', 'cred-3', 'm9');
      expect((await store.getPasskey('cred-3'))?.mac).toBe('m9');
    });

    it('consumes a challenge once, before it expires, only as its kind; two racing consumers: one wins', async () => {
      const challenge = { id: 'h1', kind: 'webauthn-login', subject: 'usr_bob', data: '{"sessionId":null}', createdAt: at, expiresAt: later(120) };
      await store.createWebauthnChallenge(challenge);
      expect(await store.consumeWebauthnChallenge('h1', 'webauthn-step-up', later(1))).toBeUndefined();
      const [first, second] = await Promise.all([store.consumeWebauthnChallenge('h1', 'webauthn-login', later(1)), store.consumeWebauthnChallenge('h1', 'webauthn-login', later(1))]);
      expect([first, second].filter((item) => item !== undefined)).toHaveLength(1);
      expect(first ?? second).toMatchObject({ id: 'h1', kind: 'webauthn-login', subject: 'usr_bob', data: '{"sessionId":null}' });
      await store.createWebauthnChallenge({ ...challenge, id: 'h2' });
      expect(await store.consumeWebauthnChallenge('h2', 'webauthn-login', later(120))).toBeUndefined();
      await store.createWebauthnChallenge({ ...challenge, id: 'h3', expiresAt: later(500) });
      expect(await store.purgeWebauthnChallenges(later(300))).toBe(2);
      expect(await store.consumeWebauthnChallenge('h3', 'webauthn-login', later(400))).toMatchObject({ id: 'h3' });
    });
  });
}
