/**
 * The Store contract, bring-your-own-key part (issue 20, migration 24): tenants and their
 * wraps, end users' keys scoped by tenant, notices with a cadence, service tokens. Registered
 * by `runStoreContract`, so it runs on SQLite and PostgreSQL. Sealing is src/byok's; here
 * the store is given opaque bytes and must keep them, scope them and forget them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { ByokTenantSettings, NewByokKey } from '../../src/store/byok-store-types.js';
import type { Store } from '../../src/store/store.js';
import type { StoreFixture, StoreFixtureFactory } from './store-fixture.js';

const settings: ByokTenantSettings = { reminderAgeDays: 90, unusedDays: null, noticeCadenceHours: 24, webhookUrl: null, fallback: { kind: 'none' }, requiredModels: [] };
const at = new Date('2026-05-01T10:00:00.000Z');

function key(tenant: string, id: string, overrides: Partial<NewByokKey> = {}): NewByokKey {
  return {
    id, tenant, userRef: 'user-1', provider: 'openai', label: 'default', ciphertext: Buffer.from(`ct-${tenant}-${id}`), hint: 'sk-…abcd',
    fingerprint: `fp-${id}`, status: 'valid', statusDetail: null, createdAt: at, validatedAt: at, nextCheckAt: new Date('2026-05-02T10:00:00Z'), ...overrides,
  };
}

export function runByokStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  describe(`store contract, BYOK ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await createFixture({ now: () => at });
      store = fixture.store;
      await store.migrate();
      for (const id of ['acme', 'globex']) {
        await store.createByokTenant({ id, wrappedKey: Buffer.from(`wrap-${id}`), masterKeyId: 'mk1', webhookSecretSealed: null, settings, createdAt: at });
      }
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('creates tenants once, lists them by keyset pages and updates their settings', async () => {
      await expect(store.createByokTenant({ id: 'acme', wrappedKey: Buffer.from('x'), masterKeyId: 'mk1', webhookSecretSealed: null, settings, createdAt: at })).rejects.toBeInstanceOf(ConflictError);
      expect((await store.listByokTenants({ limit: 1 })).map((t) => t.id)).toEqual(['acme']);
      expect((await store.listByokTenants({ afterId: 'acme', limit: 5 })).map((t) => t.id)).toEqual(['globex']);
      const updated = await store.updateByokTenant('acme', { settings: { ...settings, reminderAgeDays: 30 }, webhookSecretSealed: Buffer.from('sealed') });
      expect(updated).toMatchObject({ settings: { reminderAgeDays: 30 }, wrappedKey: Buffer.from('wrap-acme'), masterKeyId: 'mk1', purgedAt: null });
      expect(updated.webhookSecretSealed).toEqual(Buffer.from('sealed'));
      await expect(store.updateByokTenant('nobody', { settings })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('scopes every key read and write by tenant: another tenant\'s id is absent', async () => {
      const put = await store.putByokKey(key('acme', 'k1'));
      expect(put).toMatchObject({ id: 'k1', tenant: 'acme', uses: 0, lastUsedAt: null, status: 'valid' });
      expect(put.ciphertext).toEqual(Buffer.from('ct-acme-k1'));
      expect(await store.getByokKey('globex', 'k1')).toBeUndefined();
      await expect(store.deleteByokKey('globex', 'k1')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.recordByokUse('globex', 'k1', at)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.setByokStatus('globex', 'k1', { status: 'invalid', statusDetail: null, validatedAt: at, nextCheckAt: at })).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.listByokKeys('globex')).toEqual([]);
      expect(await store.findByokKeysByFingerprint('globex', 'fp-k1')).toEqual([]);
      expect((await store.findByokKeysByFingerprint('acme', 'fp-k1')).map((k) => k.id)).toEqual(['k1']);
      await expect(store.putByokKey(key('nobody', 'k9'))).rejects.toBeInstanceOf(NotFoundError);
      // the same id cannot be planted in a second tenant
      await expect(store.putByokKey(key('globex', 'k1'))).rejects.toBeInstanceOf(ConflictError);
    });

    it('replaces the key in the same (tenant, user, provider, label) slot with a new id and counts uses', async () => {
      await store.putByokKey(key('acme', 'k1'));
      await store.claimByokNotice('k1', 'age', at, 1000);
      const replaced = await store.putByokKey(key('acme', 'k2', { ciphertext: Buffer.from('new') }));
      expect(replaced.id).toBe('k2');
      expect(await store.getByokKey('acme', 'k1')).toBeUndefined();
      expect(await store.lastByokNotice('k1', 'age')).toBeNull();
      expect((await store.findByokKey('acme', 'user-1', 'openai', 'default'))?.id).toBe('k2');
      await store.putByokKey(key('acme', 'k3', { provider: 'anthropic' }));
      expect(await store.recordByokUse('acme', 'k2', at)).toBe(1);
      expect(await store.recordByokUse('acme', 'k2', new Date('2026-05-01T11:00:00Z'))).toBe(2);
      expect(await store.getByokKey('acme', 'k2')).toMatchObject({ uses: 2, lastUsedAt: new Date('2026-05-01T11:00:00Z') });
      const status = await store.setByokStatus('acme', 'k2', { status: 'no-quota', statusDetail: 'insufficient_quota', validatedAt: at, nextCheckAt: at, failureAt: at });
      expect(status).toMatchObject({ status: 'no-quota', statusDetail: 'insufficient_quota', lastFailureAt: at });
      await store.deleteByokKey('acme', 'k2');
      expect((await store.listByokKeys('acme')).map((k) => k.id)).toEqual(['k3']);
    });

    it('pages keys per tenant and across tenants, lists what is due per provider, bulk-inserts', async () => {
      await store.insertByokKeys(Array.from({ length: 1203 }, (_, index) => key(index % 2 === 0 ? 'acme' : 'globex', `k${String(index).padStart(5, '0')}`, {
        userRef: `u${index}`, nextCheckAt: new Date(at.getTime() + index * 1000),
      })));
      const first = await store.listByokKeys('acme', { limit: 500 });
      const second = await store.listByokKeys('acme', { afterId: first.at(-1)?.id, limit: 500 });
      expect(first.length + second.length).toBe(602);
      expect((await store.listByokKeys('acme', { userRef: 'u2' })).map((k) => k.id)).toEqual(['k00002']);
      const all = [];
      let after: { tenant: string; id: string } | undefined;
      for (;;) {
        const page = await store.listAllByokKeys({ after, limit: 400 });
        if (page.length === 0) break;
        all.push(...page);
        const last = page.at(-1);
        after = last === undefined ? undefined : { tenant: last.tenant, id: last.id };
      }
      expect(all.length).toBe(1203);
      expect(new Set(all.map((k) => k.id)).size).toBe(1203);
      const due = await store.listByokDue('openai', new Date(at.getTime() + 2500), 10);
      expect(due.map((k) => k.id)).toEqual(['k00000', 'k00001', 'k00002']);
      expect(await store.listByokDue('anthropic', new Date('2027-01-01'), 10)).toEqual([]);
      const storage = await store.measureByokStorage();
      expect(storage.keys).toBe(1203);
      expect(storage.bytes).toBeGreaterThan(1203 * 20);
    });

    it('sends a notice at most once per cadence and can release a failed claim', async () => {
      await store.putByokKey(key('acme', 'k1'));
      const hour = 3_600_000;
      expect(await store.claimByokNotice('k1', 'age', at, 24 * hour)).toBe(true);
      expect(await store.claimByokNotice('k1', 'age', new Date(at.getTime() + 23 * hour), 24 * hour)).toBe(false);
      expect(await store.claimByokNotice('k1', 'invalid', new Date(at.getTime() + hour), 24 * hour)).toBe(true);
      const later = new Date(at.getTime() + 24 * hour);
      expect(await store.claimByokNotice('k1', 'age', later, 24 * hour)).toBe(true);
      await store.releaseByokNotice('k1', 'age', at);
      expect(await store.lastByokNotice('k1', 'age')).toEqual(at);
      await store.releaseByokNotice('k1', 'invalid', null);
      expect(await store.lastByokNotice('k1', 'invalid')).toBeNull();
      await expect(store.claimByokNotice('nokey', 'age', at, hour)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('re-wraps in batches beside the current wrap and promotes only the wraps of the named master key', async () => {
      await store.setByokNextWraps([{ id: 'acme', wrappedKey: Buffer.from('next-acme'), masterKeyId: 'mk2' }]);
      expect(await store.getByokTenant('acme')).toMatchObject({ wrappedKey: Buffer.from('wrap-acme'), masterKeyId: 'mk1', nextWrappedKey: Buffer.from('next-acme'), nextMasterKeyId: 'mk2' });
      expect(await store.promoteByokWraps('mk3')).toBe(0);
      expect(await store.promoteByokWraps('mk2')).toBe(1);
      expect(await store.getByokTenant('acme')).toMatchObject({ wrappedKey: Buffer.from('next-acme'), masterKeyId: 'mk2', nextWrappedKey: null, nextMasterKeyId: null });
      expect(await store.getByokTenant('globex')).toMatchObject({ wrappedKey: Buffer.from('wrap-globex'), masterKeyId: 'mk1' });
    });

    it('shreds a tenant\'s data key (no wrap left in the database), refuses new keys, then removes it with its keys', async () => {
      await store.putByokKey(key('acme', 'k1'));
      await store.putByokKey(key('globex', 'g1'));
      await store.setByokNextWraps([{ id: 'acme', wrappedKey: Buffer.from('next-acme'), masterKeyId: 'mk2' }]);
      const shredded = await store.shredByokTenantKey('acme', at);
      expect(shredded).toMatchObject({ wrappedKey: null, nextWrappedKey: null, masterKeyId: null, webhookSecretSealed: null, purgedAt: at });
      const raw = await fixture.sql("SELECT wrapped_key, next_wrapped_key FROM byok_tenants WHERE id = 'acme'");
      expect(raw).toEqual([{ wrapped_key: null, next_wrapped_key: null }]);
      await expect(store.putByokKey(key('acme', 'k2', { userRef: 'other' }))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.removeByokTenant('acme')).toBe(1);
      expect(await store.getByokTenant('acme')).toBeUndefined();
      expect(await fixture.sql("SELECT id FROM byok_keys WHERE tenant = 'acme'")).toEqual([]);
      expect((await store.listByokKeys('globex')).map((k) => k.id)).toEqual(['g1']);
      await expect(store.removeByokTenant('acme')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps service tokens by hash with a MAC, unique live names, revocation by id or name', async () => {
      const token = { id: 'tok1', name: 'saas-app', tenants: ['acme'], expiresAt: null, createdAt: at, createdBy: 'cli:test', revokedAt: null };
      await store.insertByokToken(token, Buffer.from('hash'), 'v1.mac');
      await expect(store.insertByokToken({ ...token, id: 'tok2' }, Buffer.from('h2'), null)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.findByokToken('tok1')).toEqual({ token, hash: Buffer.from('hash'), mac: 'v1.mac' });
      expect((await store.listByokTokens()).map((t) => t.id)).toEqual(['tok1']);
      const revoked = await store.revokeByokToken('saas-app', at, () => 'v1.resealed');
      expect(revoked.revokedAt).toEqual(at);
      expect((await store.findByokToken('tok1'))?.mac).toBe('v1.resealed');
      expect(await store.listByokTokens()).toEqual([]);
      await expect(store.revokeByokToken('saas-app', at)).rejects.toBeInstanceOf(NotFoundError);
      await store.insertByokToken({ ...token, id: 'tok3' }, Buffer.from('h3'), null);
    });
  });
}
